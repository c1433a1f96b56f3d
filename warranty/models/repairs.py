"""A unit's repair history, with what the 三包 engine counts and the car Art 17 record fields."""

from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class RepairRecord(models.Model):
    class Source(models.TextChoices):
        MANUAL = "manual", _("entered by hand")
        TICKET = "ticket", _("repair case")
        CLAIM = "claim", _("dealer claim")

    class WaitParty(models.TextChoices):
        NONE = "", _("nobody")
        PRODUCER = "producer", _("producer (no parts supplied)")
        REPAIRER = "repairer", _("repairer")

    unit = models.ForeignKey("warranty.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="repairs")
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.MANUAL)
    # One record per repair, whatever reports it: a case writes "ticket:<id>", and a dealer claim made from a
    # case uses its case's key, so the repair is counted once (a claim without a case has a key of its own).
    source_key = models.CharField(
        _("source reference"),
        max_length=64,
        blank=True,
        db_default="",
        default="",
        help_text=_('Which repair case or claim wrote it, e.g. "ticket:42"; empty for records entered by hand.'),
    )
    # What the entitlement engine counts.
    confirmed_at = models.DateTimeField(_("repair agreed at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    usage = models.PositiveIntegerField(_("usage reading"), null=True, blank=True)
    problem_code = models.CharField(_("problem code"), max_length=64, blank=True)
    quality_problem = models.BooleanField(_("quality problem"), default=True)
    serious_safety = models.BooleanField(_("serious safety fault"), default=False)
    component = models.CharField(_("component"), max_length=64, blank=True)
    assemblies_replaced = ArrayField(
        models.CharField(max_length=32), verbose_name=_("assemblies replaced"), default=list, blank=True
    )
    main_parts_replaced = models.JSONField(
        _("main parts replaced"), default=list, blank=True, help_text=_('A list of {"system": …, "part": …}.')
    )
    excluded_hours = models.DecimalField(_("excluded hours"), max_digits=8, decimal_places=2, default=Decimal(0))
    parts_wait_hours = models.DecimalField(
        _("hours waiting for parts"), max_digits=8, decimal_places=2, default=Decimal(0)
    )
    parts_wait_party = models.CharField(
        _("waiting caused by"), max_length=16, choices=WaitParty.choices, blank=True, default=WaitParty.NONE
    )
    # Car repair record fields (household car rules 2021 Art 17), kept at least 6 years.
    handed_in_at = models.DateTimeField(_("handed in at"), null=True, blank=True)
    fault_description = models.TextField(_("fault description"), blank=True)
    inspection_result = models.TextField(_("inspection result"), blank=True)
    repair_items = models.TextField(_("repair items"), blank=True)
    replaced_parts = models.JSONField(
        _("replaced parts"),
        default=list,
        blank=True,
        help_text=_('A list of {"part_number", "name", "quantity", "serial"}.'),
    )
    material_cost = models.DecimalField(_("material cost"), max_digits=12, decimal_places=2, default=Decimal(0))
    labour_cost = models.DecimalField(_("labour cost"), max_digits=12, decimal_places=2, default=Decimal(0))
    towing = models.CharField(_("towing"), max_length=200, blank=True)
    substitute_unit = models.CharField(_("substitute car / unit"), max_length=200, blank=True)
    returned_at = models.DateTimeField(_("handed back at"), null=True, blank=True)
    customer_signature = models.CharField(_("signed by the customer"), max_length=100, blank=True)
    repairer_signature = models.CharField(_("signed by the repairer"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["unit", "confirmed_at"]
        verbose_name = _("repair record")
        verbose_name_plural = _("repair records")
        indexes = [
            # Coverage and entitlement read a unit's whole history in order.
            models.Index(fields=["unit", "confirmed_at"], name="repair_unit_confirmed"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source_key"], condition=~models.Q(source_key=""), name="repair_once_per_source"
            ),
            models.CheckConstraint(
                condition=models.Q(completed_at__isnull=True) | models.Q(completed_at__gte=models.F("confirmed_at")),
                name="repair_completed_after_confirmed",
            ),
            models.CheckConstraint(
                condition=models.Q(excluded_hours__gte=0) & models.Q(parts_wait_hours__gte=0),
                name="repair_hours_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.unit_id} {self.confirmed_at:%Y-%m-%d} {self.problem_code}"
