"""SLA policies: versioned targets per severity and metric, on-site targets by distance or region, pauses."""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.labels import bilingual
from aftersales.labels import shown_name as _shown_name


class SLAMetric(models.Model):
    """What is timed: first response, remote response, on-site arrival, resolution, loaner, or any other."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("SLA metric")
        verbose_name_plural = _("SLA metrics")

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        """The name in the viewer's language (aftersales.labels)."""
        return _shown_name(self.name, "metric", self.code)


class SLAPolicy(models.Model):
    """One version of an SLA policy; a ticket keeps the version it was opened under."""

    class OnsiteRule(models.TextChoices):
        LATER = "later", _("the later of severity and distance targets")
        EARLIER = "earlier", _("the earlier of severity and distance targets")
        SEVERITY = "severity", _("the severity target only")
        DISTANCE = "distance", _("the distance (or region) target only")

    code = models.CharField(_("code"), max_length=32)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=200)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective until"), null=True, blank=True, help_text=_("Exclusive."))
    is_default = models.BooleanField(
        _("default policy"), default=False, help_text=_("Used when no customer, contract or product line rule applies.")
    )
    calendar = models.ForeignKey(
        "tickets.BusinessCalendar", verbose_name=_("calendar"), on_delete=models.PROTECT, related_name="policies"
    )
    onsite_rule = models.CharField(
        _("on-site deadline"), max_length=16, choices=OnsiteRule.choices, default=OnsiteRule.LATER
    )
    pause_statuses = models.JSONField(
        _("pausing statuses"),
        default=dict,
        blank=True,
        help_text=_('Metric code -> ticket statuses that pause it, e.g. {"resolution": ["waiting_customer"]}.'),
    )
    followup_days = models.PositiveSmallIntegerField(
        _("follow-up within (working days)"), default=3, help_text=_("After a case is resolved (回访).")
    )
    followup_threshold = models.PositiveSmallIntegerField(
        _("complaint at a score of at most"),
        default=2,
        help_text=_("A follow-up score at or below this, or a system not running normally, reopens the case."),
    )
    complaint_days = models.PositiveSmallIntegerField(_("answer complaints within (working days)"), default=2)
    customers = models.ManyToManyField(
        "warranty.Customer", verbose_name=_("customers"), blank=True, related_name="sla_policies"
    )
    contracts = models.ManyToManyField(
        "warranty.ServiceContract", verbose_name=_("service contracts"), blank=True, related_name="sla_policies"
    )
    product_lines = models.ManyToManyField(
        "warranty.ProductLine", verbose_name=_("product lines"), blank=True, related_name="sla_policies"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="slapolicy_unique_version"),
            # Exactly one current default policy.
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True, effective_to=None),
                name="slapolicy_one_default",
            ),
        ]

    def __str__(self):
        return f"{self.code} v{self.version}"


class Severity(models.Model):
    policy = models.ForeignKey(SLAPolicy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="severities")
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    rank = models.PositiveSmallIntegerField(_("rank"), help_text=_("1 is the most severe."))
    definition = models.CharField(_("definition"), max_length=300, blank=True)

    class Meta:
        ordering = ["policy", "rank"]
        verbose_name = _("severity")
        verbose_name_plural = _("severities")
        constraints = [
            models.UniqueConstraint(fields=["policy", "code"], name="severity_unique_code"),
            models.UniqueConstraint(fields=["policy", "rank"], name="severity_unique_rank"),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        """The name in the viewer's language (aftersales.labels)."""
        return _shown_name(self.name, "severity", self.code)

    @property
    def definition_label(self) -> str:
        return bilingual(self.definition)


class SLATarget(models.Model):
    policy = models.ForeignKey(SLAPolicy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="targets")
    severity = models.ForeignKey(Severity, verbose_name=_("severity"), on_delete=models.CASCADE, related_name="targets")
    metric = models.ForeignKey(SLAMetric, verbose_name=_("metric"), on_delete=models.PROTECT, related_name="targets")
    minutes = models.PositiveIntegerField(_("minutes"))

    class Meta:
        ordering = ["policy", "severity__rank", "metric"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(fields=["policy", "severity", "metric"], name="slatarget_unique"),
            models.CheckConstraint(condition=models.Q(minutes__gt=0), name="slatarget_minutes_positive"),
        ]

    def __str__(self):
        return f"{self.severity} {self.metric}: {self.minutes} min"


class DistanceBand(models.Model):
    """On-site arrival by distance from the serving outlet: up to ``max_km`` (empty: any distance beyond)."""

    policy = models.ForeignKey(
        SLAPolicy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="distance_bands"
    )
    max_km = models.PositiveIntegerField(_("up to km"), null=True, blank=True)
    minutes = models.PositiveIntegerField(_("minutes"))

    class Meta:
        ordering = ["policy", models.F("max_km").asc(nulls_last=True)]
        verbose_name = _("distance band")
        verbose_name_plural = _("distance bands")
        constraints = [
            models.UniqueConstraint(fields=["policy", "max_km"], name="distanceband_unique", nulls_distinct=False)
        ]

    def __str__(self):
        return f"≤ {self.max_km} km" if self.max_km is not None else "> …"


class RegionZone(models.Model):
    """On-site arrival by region instead of distance (in-province 24 h, out-of-province 72 h, …)."""

    policy = models.ForeignKey(SLAPolicy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="zones")
    name = models.CharField(_("name"), max_length=100)
    provinces = ArrayField(
        models.CharField(max_length=64),
        verbose_name=_("provinces"),
        default=list,
        blank=True,
        help_text=_("Empty: every province not in another zone."),
    )
    minutes = models.PositiveIntegerField(_("minutes"))

    class Meta:
        ordering = ["policy", "minutes"]
        verbose_name = _("region zone")
        verbose_name_plural = _("region zones")

    def __str__(self):
        return self.name
