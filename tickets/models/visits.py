"""Scheduled visits (回访 / 巡检 / 保养): plans on service contracts, and the visits generated from them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class VisitPlan(models.Model):
    """How often a contract's customer is called or visited, e.g. 2 phone follow-ups + 1 inspection a year."""

    code = models.SlugField(
        _("code"), max_length=32, unique=True, help_text=_("Service contracts name their plan by this code.")
    )
    name = models.CharField(_("name"), max_length=200)
    phone_per_year = models.PositiveSmallIntegerField(_("phone follow-ups a year"), default=0)
    onsite_per_year = models.PositiveSmallIntegerField(_("on-site inspections a year"), default=0)
    first_within_months = models.PositiveSmallIntegerField(
        _("first on-site visit within (months)"),
        null=True,
        blank=True,
        help_text=_("e.g. during warranty the first visit within 6 months of handover."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("visit plan")
        verbose_name_plural = _("visit plans")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(phone_per_year__lte=52, onsite_per_year__lte=52), name="visitplan_at_most_weekly"
            ),
        ]

    def __str__(self):
        return self.name


class Visit(models.Model):
    class Kind(models.TextChoices):
        PHONE = "phone", _("phone follow-up")
        ONSITE = "onsite", _("on-site inspection")

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        DONE = "done", _("done")

    plan = models.ForeignKey(VisitPlan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="visits")
    contract = models.ForeignKey(
        "warranty.ServiceContract",
        verbose_name=_("service contract"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="visits",
    )
    unit = models.ForeignKey(
        "warranty.Unit",
        verbose_name=_("unit in warranty"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="visits",
        help_text=_("Visits a warranty policy's plan asks for, without a contract."),
    )
    slot = models.CharField(_("slot"), max_length=40, help_text=_("Which visit of which contract year."))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    due_on = models.DateField(_("due on"))
    outlet = models.ForeignKey(
        "dealers.Dealer",
        verbose_name=_("serving outlet"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PLANNED)
    checklist = models.JSONField(_("checklist"), default=list, blank=True)
    findings = models.TextField(_("findings"), blank=True)
    confirmed_by = models.CharField(_("confirmed by the customer"), max_length=100, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("case opened from a finding"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        constraints = [
            # One visit per contract and slot: generating the same period twice creates nothing new.
            models.UniqueConstraint(fields=["contract", "slot"], name="visit_once_per_slot"),
            models.UniqueConstraint(fields=["unit", "slot"], name="visit_once_per_unit_slot"),
            models.CheckConstraint(
                condition=models.Q(contract__isnull=False) | models.Q(unit__isnull=False),
                name="visit_for_contract_or_unit",
            ),
        ]
        indexes = [
            # "Visits today / this week" and the outlet's visit calendar.
            models.Index(fields=["due_on"], name="visit_planned_due", condition=models.Q(status="planned")),
            models.Index(fields=["outlet", "due_on"], name="visit_outlet_due"),
        ]

    def __str__(self):
        return f"{self.contract_id or self.unit_id} {self.slot}"

    @property
    def customer(self):
        return self.contract.customer if self.contract_id else self.unit.customer

    @property
    def subject(self) -> str:
        """What the visit is for: the contract number, or the unit's serial."""
        return self.contract.number if self.contract_id else self.unit.serial
