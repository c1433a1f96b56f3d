"""The dealer network. Dealer staff belong to exactly one dealer and see only that dealer's data.

A dealer row is also its authorised service outlet (特约服务网点): cases name it as their serving outlet and
visits as theirs, claims as their claimant. A group with several outlets registers each under its own code.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Dealer(models.Model):
    class Tier(models.TextChoices):
        A = "A", _("A (excellent)")
        B = "B", _("B (good)")
        C = "C", _("C (needs improvement)")
        D = "D", _("D (on probation)")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    region = models.CharField(_("region"), max_length=64, blank=True, help_text=_("Sales region, e.g. 华东."))
    province = models.CharField(_("province"), max_length=64, blank=True)
    city = models.CharField(_("city"), max_length=64, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    labour_rate = models.DecimalField(
        _("labour rate per hour"),
        max_digits=10,
        decimal_places=2,
        default=Decimal(0),
        help_text=_("What the maker pays this outlet per flat-rate hour on a 三包 claim."),
    )
    rating_tier = models.CharField(_("rating tier"), max_length=1, choices=Tier.choices, default=Tier.B)
    is_active = models.BooleanField(_("active"), default=True, help_text=_("Off: no longer in the network."))
    suspended = models.BooleanField(
        _("suspended"), default=False, help_text=_("A suspended dealer may not submit new claims.")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("dealer")
        verbose_name_plural = _("dealers")
        constraints = [
            models.CheckConstraint(condition=models.Q(labour_rate__gte=0), name="dealer_labour_rate_not_negative"),
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True) | models.Q(latitude__gte=-90, latitude__lte=90),
                name="dealer_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True) | models.Q(longitude__gte=-180, longitude__lte=180),
                name="dealer_longitude_range",
            ),
        ]

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
