"""Registered units: one row per serial number / VIN, with the dates the warranty terms start from."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

REGISTRATION_DAYS = 20  # a dealer registers a sold unit (三包回执卡) within 20 days of sale


class Unit(models.Model):
    serial = models.CharField(
        _("serial number / VIN"), max_length=64, unique=True, help_text=_("Stored upper-case, without spaces.")
    )
    product_model = models.ForeignKey(
        "warranty.ProductModel", verbose_name=_("model"), on_delete=models.PROTECT, related_name="units"
    )
    customer = models.ForeignKey(
        "warranty.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="units",
    )
    site = models.ForeignKey(
        "warranty.Site", verbose_name=_("site"), on_delete=models.PROTECT, null=True, blank=True, related_name="units"
    )
    selling_dealer = models.ForeignKey(
        "dealers.Dealer",
        verbose_name=_("selling dealer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="units_sold",
    )
    policy = models.ForeignKey(
        "warranty.WarrantyPolicy",
        verbose_name=_("warranty policy"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="units",
        help_text=_("Only when this unit's terms differ from its model's."),
    )
    invoice_date = models.DateField(_("invoice date"), null=True, blank=True)
    delivery_date = models.DateField(_("delivery date"), null=True, blank=True)
    installation_date = models.DateField(_("installation date"), null=True, blank=True)
    acceptance_date = models.DateField(_("acceptance sign-off date"), null=True, blank=True)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, null=True, blank=True)
    usage_reading = models.PositiveIntegerField(_("usage reading"), null=True, blank=True)
    usage_read_at = models.DateTimeField(_("usage read at"), null=True, blank=True)
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("replaces unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        help_text=_("The unit this one was exchanged for; an exchange restarts periods."),
    )
    replaced_on = models.DateField(_("exchange date"), null=True, blank=True)
    registered_at = models.DateTimeField(_("registered at"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    registered_late = models.BooleanField(
        _("registered late"),
        default=False,
        help_text=_("Registered more than 20 days after the sale (invoice date)."),
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["serial"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        indexes = [
            # Dealer-scoped unit lists and claims checks filter by the selling dealer.
            models.Index(fields=["selling_dealer", "serial"], name="unit_dealer_serial"),
            models.Index(fields=["customer"], name="unit_customer"),
            # Serial search is case-insensitive and by prefix.
            models.Index(Upper("serial"), name="unit_serial_upper"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(serial=""), name="unit_serial_not_empty"),
            models.CheckConstraint(
                condition=models.Q(replaces__isnull=True) | models.Q(replaced_on__isnull=False),
                name="unit_exchange_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(price__isnull=True) | models.Q(price__gte=0), name="unit_price_not_negative"
            ),
        ]

    def __str__(self):
        return self.serial
