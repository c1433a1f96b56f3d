"""What admins configure for claims: claim types, reason codes, the labour-operation catalogue with flat-rate
hours per product model, and claim programmes (deadlines, parts to return, spot checks, documents)."""

from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from aftersales.roles import Role

# The engine's remedy codes a claim type may stand for (sanbao.md option codes).
REMEDY_CHOICES = [
    ("FREE_REPAIR", _("free repair")),
    ("FREE_PART_REPLACEMENT", _("free part replacement")),
    ("FREE_ASSEMBLY_REPLACEMENT", _("free assembly replacement")),
    ("EXCHANGE", _("exchange")),
    ("REFUND", _("refund")),
    ("SUBSTITUTE", _("substitute unit")),
]


def localized_name(row) -> str:
    """Managed lists carry a Chinese and an English name; the user's language picks one."""
    if row.name_en and not (get_language() or "zh-hans").startswith("zh"):
        return row.name_en
    return row.name


class DocumentKind(models.TextChoices):
    PHOTO = "photo", _("photo")
    REPAIR_RECORD = "repair_record", _("signed 三包 repair record (《三包维修记录》)")
    INVOICE = "invoice", _("invoice or receipt")
    OTHER = "other", _("other document")


class ClaimType(models.Model):
    """Repair, exchange, refund and whatever else an admin adds; ``remedies`` are the engine's options
    that support it (the entitlement check looks for one of them)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    remedies = ArrayField(
        models.CharField(max_length=32, choices=REMEDY_CHOICES),
        verbose_name=_("engine remedies that support it"),
        default=list,
        blank=True,
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("claim type")
        verbose_name_plural = _("claim types")

    def __str__(self):
        return localized_name(self)


class ReasonCode(models.Model):
    """Why a line is reduced or rejected (a managed list; the automatic checks propose one)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("reason code")
        verbose_name_plural = _("reason codes")

    def __str__(self):
        return localized_name(self)


class LabourOperation(models.Model):
    code = models.CharField(_("operation code"), max_length=32, unique=True)
    description = models.CharField(_("description"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("labour operation")
        verbose_name_plural = _("labour operations")

    def __str__(self):
        return f"{self.code} {self.description}"


class FlatRate(models.Model):
    """The flat-rate time of an operation on one product model: what a claim's hours are checked against."""

    operation = models.ForeignKey(
        LabourOperation, verbose_name=_("operation"), on_delete=models.CASCADE, related_name="flat_rates"
    )
    product_model = models.ForeignKey(
        "warranty.ProductModel", verbose_name=_("product model"), on_delete=models.PROTECT, related_name="flat_rates"
    )
    hours = models.DecimalField(_("flat-rate hours"), max_digits=6, decimal_places=2)

    class Meta:
        ordering = ["operation", "product_model"]
        verbose_name = _("flat-rate time")
        verbose_name_plural = _("flat-rate times")
        constraints = [
            models.UniqueConstraint(fields=["operation", "product_model"], name="flatrate_unique_model"),
            models.CheckConstraint(condition=models.Q(hours__gt=0), name="flatrate_hours_positive"),
        ]

    def __str__(self):
        return f"{self.operation.code} × {self.product_model.code}: {self.hours} h"


class ClaimProgramme(models.Model):
    """The rules a claim runs under: the programme of its unit's product line, else the general one."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    product_line = models.ForeignKey(
        "warranty.ProductLine",
        verbose_name=_("product line"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claim_programmes",
        help_text=_("Empty: the general programme for product lines without their own."),
    )
    submission_days = models.PositiveIntegerField(_("submission deadline (days after repair completion)"), default=30)
    review_days = models.PositiveIntegerField(_("review deadline (days after submission)"), default=30)
    return_days = models.PositiveIntegerField(
        _("old parts due (days after first submission)"),
        default=30,
        help_text=_("A required old part not received by then rejects its line (part not returned)."),
    )
    return_parts = ArrayField(
        models.CharField(max_length=64),
        verbose_name=_("parts to return (part-number prefixes, * for every part)"),
        default=list,
        blank=True,
    )
    spot_check_percent = models.DecimalField(
        _("spot-check share of approved claims (%)"), max_digits=5, decimal_places=2, default=Decimal("5.00")
    )
    duplicate_window_days = models.PositiveIntegerField(
        _("duplicate window (days)"),
        default=30,
        help_text=_("An earlier claim on the same unit and problem within this many days is a duplicate."),
    )
    escalate_to = models.CharField(
        _("overdue reviews go to"),
        max_length=32,
        choices=Role.choices,
        default=Role.DEPARTMENT_MANAGER,
        help_text=_("The reviewers' manager: told when a claim is not reviewed by its deadline."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("claim programme")
        verbose_name_plural = _("claim programmes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(spot_check_percent__gte=0, spot_check_percent__lte=100),
                name="programme_spot_check_share",
            ),
            # One programme in force per product line, and one general programme.
            models.UniqueConstraint(
                fields=["product_line"], condition=models.Q(is_active=True), name="programme_one_per_line"
            ),
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True, product_line__isnull=True),
                name="programme_one_general",
            ),
        ]

    def __str__(self):
        return self.name

    def requires_return(self, part_number: str) -> bool:
        return any(prefix == "*" or part_number.startswith(prefix) for prefix in self.return_parts)


class RequiredDocument(models.Model):
    """A document a claim of one type must carry under a programme."""

    programme = models.ForeignKey(
        ClaimProgramme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="required_documents"
    )
    claim_type = models.ForeignKey(
        ClaimType, verbose_name=_("claim type"), on_delete=models.CASCADE, related_name="required_documents"
    )
    kind = models.CharField(_("document"), max_length=16, choices=DocumentKind.choices)

    class Meta:
        ordering = ["programme", "claim_type", "kind"]
        verbose_name = _("required document")
        verbose_name_plural = _("required documents")
        constraints = [
            models.UniqueConstraint(fields=["programme", "claim_type", "kind"], name="requireddocument_unique"),
        ]

    def __str__(self):
        return f"{self.claim_type}: {self.get_kind_display()}"
