"""The dealer network. Dealer staff belong to exactly one dealer and see only that dealer's data."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Dealer(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    province = models.CharField(_("province"), max_length=64, blank=True)
    city = models.CharField(_("city"), max_length=64, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("dealer")
        verbose_name_plural = _("dealers")

    def __str__(self):
        return f"{self.code} {self.name}"


class DealerMember(models.Model):
    """A user who works for a dealer (role dealer staff); one dealer per user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="dealer_membership"
    )
    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="members")

    class Meta:
        verbose_name = _("dealer member")
        verbose_name_plural = _("dealer members")

    def __str__(self):
        return f"{self.user} @ {self.dealer.code}"
