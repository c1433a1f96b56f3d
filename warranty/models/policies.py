"""Warranty policies (versioned terms under one of the four regimes) and service contracts."""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import (
    ArrayField,
    BigIntegerRangeField,
    DateRangeField,
    RangeBoundary,
    RangeOperators,
)
from django.db import models
from django.utils.translation import gettext_lazy as _


class DateRange(models.Func):
    function = "DATERANGE"
    output_field = DateRangeField()


class SingletonRange(models.Func):
    """``int8range(id, id, '[]')``: lets a GiST exclusion constraint compare ids without btree_gist, which
    not every PostgreSQL build (e.g. the embedded one) ships."""

    function = "INT8RANGE"
    output_field = BigIntegerRangeField()

    def __init__(self, field: str):
        super().__init__(models.F(field), models.F(field), models.Value("[]"))


class WarrantyPolicy(models.Model):
    class Regime(models.TextChoices):
        CAR_2021 = "car_2021", _("household cars (2021 rules)")
        CAR_2013 = "car_2013", _("household cars (2013 rules)")
        CONSUMER_GOODS = "consumer_goods", _("consumer goods 三包")
        CONTRACT = "contract", _("B2B contract warranty")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    regime = models.CharField(_("regime"), max_length=16, choices=Regime.choices)
    description = models.TextField(_("description"), blank=True)
    visit_plan = models.CharField(
        _("visit plan during warranty"),
        max_length=32,
        blank=True,
        help_text=_("Code of the scheduled-visit plan for units under this policy while in warranty."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("warranty policy")
        verbose_name_plural = _("warranty policies")

    def __str__(self):
        return f"{self.code} {self.name}"


class PolicyVersion(models.Model):
    """The terms in force from one date; a unit is judged by the version in force at its start date."""

    class StartEvent(models.TextChoices):
        INVOICE = "invoice", _("invoice date")
        DELIVERY = "delivery", _("delivery date")
        INSTALLATION = "installation", _("installation date")
        ACCEPTANCE = "acceptance", _("acceptance sign-off")
        DAY_AFTER_ACCEPTANCE = "day_after_acceptance", _("the day after acceptance sign-off")

    class PartsPricing(models.TextChoices):
        LIST = "list", _("price list")
        COST = "cost", _("cost price")

    policy = models.ForeignKey(
        WarrantyPolicy, verbose_name=_("policy"), on_delete=models.PROTECT, related_name="versions"
    )
    version = models.PositiveIntegerField(_("version"))
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(
        _("effective until"), null=True, blank=True, help_text=_("Exclusive; empty while this is the current version.")
    )
    start_event = models.CharField(
        _("period starts at"), max_length=24, choices=StartEvent.choices, default=StartEvent.INVOICE
    )
    whole_unit_months = models.PositiveIntegerField(_("whole-unit period (months)"), help_text=_("Cars: the 包修期."))
    whole_unit_usage = models.PositiveIntegerField(_("whole-unit usage limit"), null=True, blank=True)
    sanbao_months = models.PositiveIntegerField(
        _("三包 period (months)"), null=True, blank=True, help_text=_("Cars only: the 三包有效期.")
    )
    sanbao_usage = models.PositiveIntegerField(_("三包 usage limit"), null=True, blank=True)
    params = models.JSONField(_("regime parameters"), default=dict, blank=True)
    options = models.JSONField(_("interpretation options"), default=dict, blank=True)
    exclusions = ArrayField(
        models.CharField(max_length=64), verbose_name=_("excluded problem codes"), default=list, blank=True
    )
    parts_pricing = models.CharField(
        _("out-of-warranty parts at"), max_length=8, choices=PartsPricing.choices, default=PartsPricing.LIST
    )
    labour_rate = models.DecimalField(_("labour rate per hour"), max_digits=10, decimal_places=2, default=0)
    labour_cap = models.DecimalField(_("labour cap per case"), max_digits=10, decimal_places=2, null=True, blank=True)
    refuse_sanbao_if_registered_late = models.BooleanField(
        _("refuse 三包 for late registration"),
        default=False,
        help_text=_("Units registered more than 20 days after the sale get paid service only."),
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["policy", "-effective_from"]
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        constraints = [
            models.UniqueConstraint(fields=["policy", "version"], name="policyversion_unique_number"),
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True) | models.Q(effective_to__gt=models.F("effective_from")),
                name="policyversion_range_valid",
            ),
            # Two versions of one policy never overlap, so "the version in force on a day" is unique.
            ExclusionConstraint(
                name="policyversion_no_overlap",
                expressions=[
                    (DateRange("effective_from", "effective_to", RangeBoundary()), RangeOperators.OVERLAPS),
                    (SingletonRange("policy"), RangeOperators.OVERLAPS),
                ],
            ),
        ]

    def __str__(self):
        return f"{self.policy.code} v{self.version} ({self.effective_from})"


class PolicyComponentTerm(models.Model):
    """A component's own period under a policy version (main parts longer, consumables shorter)."""

    version = models.ForeignKey(
        PolicyVersion, verbose_name=_("policy version"), on_delete=models.CASCADE, related_name="component_terms"
    )
    code = models.CharField(_("component code"), max_length=64)
    kind = models.CharField(
        _("kind"),
        max_length=16,
        choices=[
            ("assembly", _("assembly")),
            ("main_part", _("main part")),
            ("special_part", _("special part")),
            ("wear_part", _("wear part")),
            ("consumable", _("consumable")),
        ],
    )
    months = models.PositiveIntegerField(
        _("period (months)"), null=True, blank=True, help_text=_("Empty: follows the whole unit.")
    )
    usage_limit = models.PositiveIntegerField(_("usage limit"), null=True, blank=True)
    system = models.CharField(_("system"), max_length=32, blank=True)

    class Meta:
        ordering = ["version", "code"]
        verbose_name = _("component term")
        verbose_name_plural = _("component terms")
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="componentterm_unique_code")]

    def __str__(self):
        return self.code


class ServiceContract(models.Model):
    """A contract attaching a policy to some of a customer's units for a period."""

    class Level(models.TextChoices):
        BASIC = "basic", _("basic")
        STANDARD = "standard", _("standard")
        PREMIUM = "premium", _("premium (7×24)")

    number = models.CharField(_("contract number"), max_length=64, unique=True)
    customer = models.ForeignKey(
        "warranty.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contracts"
    )
    policy = models.ForeignKey(
        WarrantyPolicy, verbose_name=_("policy"), on_delete=models.PROTECT, related_name="contracts"
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), help_text=_("Inclusive."))
    service_level = models.CharField(_("service level"), max_length=16, choices=Level.choices, default=Level.STANDARD)
    visit_plan = models.CharField(
        _("visit plan"),
        max_length=64,
        blank=True,
        help_text=_("Reference of the scheduled-visit plan for these units."),
    )
    units = models.ManyToManyField("warranty.Unit", verbose_name=_("units"), related_name="contracts", blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("service contract")
        verbose_name_plural = _("service contracts")
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="contract_dates_valid"),
        ]

    def __str__(self):
        return self.number
