"""Old-part returns: the dealer ships the parts of lines that require it in a batch; the maker receives and
appraises each one."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ReturnBatch(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True)
    dealer = models.ForeignKey(
        "dealers.Dealer", verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="return_batches"
    )
    carrier = models.CharField(_("carrier"), max_length=100)
    tracking_number = models.CharField(_("tracking number"), max_length=100)
    note = models.TextField(_("note"), blank=True)
    shipped_at = models.DateTimeField(_("shipped at"))
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("shipped by"), on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)

    class Meta:
        ordering = ["-shipped_at", "-id"]
        verbose_name = _("old-part return")
        verbose_name_plural = _("old-part returns")
        indexes = [
            models.Index(fields=["dealer", "-shipped_at"], name="returnbatch_dealer_shipped"),
            # The maker's "to receive" list.
            models.Index(fields=["shipped_at"], name="returnbatch_open", condition=Q(received_at__isnull=True)),
        ]

    def __str__(self):
        return self.number


class ReturnItem(models.Model):
    class Appraisal(models.TextChoices):
        NONE = "", _("not appraised")
        USABLE = "usable", _("usable")
        SCRAP = "scrap", _("scrap")
        NOT_CLAIMED_PART = "not_claimed_part", _("not the claimed part")

    batch = models.ForeignKey(ReturnBatch, verbose_name=_("return"), on_delete=models.PROTECT, related_name="items")
    line = models.OneToOneField(
        "claims.ClaimLine", verbose_name=_("claim line"), on_delete=models.PROTECT, related_name="return_item"
    )
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    appraisal = models.CharField(_("appraisal"), max_length=20, choices=Appraisal.choices, blank=True, default="")
    appraised_at = models.DateTimeField(_("appraised at"), null=True, blank=True)
    appraised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("appraised by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["batch", "id"]
        verbose_name = _("returned part")
        verbose_name_plural = _("returned parts")
        constraints = [
            models.CheckConstraint(
                condition=Q(appraisal="") | Q(received_at__isnull=False, appraised_at__isnull=False),
                name="returnitem_appraised_after_receipt",
            ),
        ]

    def __str__(self):
        return f"{self.batch_id} {self.line_id}"
