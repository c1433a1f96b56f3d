"""Product catalogue: product lines, models, their components, and the spare-part price list."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProductLine(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["code"]
        verbose_name = _("product line")
        verbose_name_plural = _("product lines")

    def __str__(self):
        return self.name


class ProductModel(models.Model):
    class UsageUnit(models.TextChoices):
        NONE = "none", _("no usage reading")
        KM = "km", _("kilometres")
        HOURS = "hours", _("operating hours")

    product_line = models.ForeignKey(
        ProductLine, verbose_name=_("product line"), on_delete=models.PROTECT, related_name="models"
    )
    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    usage_unit = models.CharField(_("usage unit"), max_length=8, choices=UsageUnit.choices, default=UsageUnit.NONE)
    policy = models.ForeignKey(
        "warranty.WarrantyPolicy",
        verbose_name=_("warranty policy"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="product_models",
        help_text=_("The terms its units are sold under, unless a unit or a service contract says otherwise."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("product model")
        verbose_name_plural = _("product models")

    def __str__(self):
        return f"{self.code} {self.name}"


class Component(models.Model):
    class Kind(models.TextChoices):
        ASSEMBLY = "assembly", _("assembly")
        MAIN_PART = "main_part", _("main part")
        SPECIAL_PART = "special_part", _("special part")
        WEAR_PART = "wear_part", _("wear part")
        CONSUMABLE = "consumable", _("consumable")

    product_model = models.ForeignKey(
        ProductModel, verbose_name=_("product model"), on_delete=models.CASCADE, related_name="components"
    )
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    system = models.CharField(
        _("system"), max_length=32, blank=True, help_text=_("Car main-part system (engine, steering, brake, …).")
    )

    class Meta:
        ordering = ["product_model", "code"]
        verbose_name = _("component")
        verbose_name_plural = _("components")
        constraints = [models.UniqueConstraint(fields=["product_model", "code"], name="component_unique_code")]

    def __str__(self):
        return f"{self.code} {self.name}"


class PartPrice(models.Model):
    """One price of a spare part from a date on; the price on a day is the latest one valid by then."""

    part_number = models.CharField(_("part number"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    price = models.DecimalField(_("list price"), max_digits=12, decimal_places=2)
    cost = models.DecimalField(_("cost price"), max_digits=12, decimal_places=2, null=True, blank=True)
    valid_from = models.DateField(_("valid from"))

    class Meta:
        ordering = ["part_number", "-valid_from"]
        verbose_name = _("part price")
        verbose_name_plural = _("part prices")
        constraints = [
            models.UniqueConstraint(fields=["part_number", "valid_from"], name="partprice_unique_from"),
            models.CheckConstraint(condition=models.Q(price__gte=0), name="partprice_price_not_negative"),
        ]

    def __str__(self):
        return f"{self.part_number} {self.price} ({self.valid_from})"
