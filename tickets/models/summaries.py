"""Maintained summaries behind the SLA dashboard: the period figures of stopped timers per business day,
metric and case dimension, so a month or a year of compliance, business-time percentiles, escalation levels,
trends and breakdowns is read from a few thousand rows instead of aggregated from millions of timers.

``SLADaySummary`` holds one row per business day (of ``stopped_at`` in ``settings.TIME_ZONE``) × metric ×
dimension value: ``dimension`` "" (every case, ``key`` "") or one of the dashboard's dimensions (severity,
channel, province, outlet, engineer, product line, SLA policy) with the case's value as ``key`` (codes, as
the filters take them; NULL when the case has none). Percentiles stay exact: ``minutes`` is every business
minutes value of the timers done that day (sorted), so ``percentile_cont`` over the unnested arrays of a
period is the same number as over the timers themselves. ``levels[i + 1]`` counts the breaches whose
highest escalation step fired was ``i`` (0: none).

``SLASummaryChange`` is the "dirty" list: PostgreSQL triggers (migration 0021) add the hour of the stop of
every stopped timer that was inserted, changed or deleted, of the stopped timers of a case whose dimensions
changed (a case moved), and of a stopped timer that got an escalation — whoever wrote it (services, bulk
updates, admin, SQL). The refresh job (tickets.dashboards.summaries) recomputes those days; until it has,
the selectors read those days live, so the figures are never stale.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class SLADaySummary(models.Model):
    day = models.DateField(_("business day"))
    metric = models.ForeignKey(
        "tickets.SLAMetric", verbose_name=_("metric"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    dimension = models.CharField(_("dimension"), max_length=16, blank=True)
    key = models.CharField(_("value"), max_length=150, null=True, blank=True)
    met = models.PositiveIntegerField(_("met"), default=0)
    breached = models.PositiveIntegerField(_("breached"), default=0)
    not_needed = models.PositiveIntegerField(_("not needed"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    minutes = ArrayField(models.IntegerField(), verbose_name=_("business minutes of the work done"), default=list)
    levels = ArrayField(models.IntegerField(), verbose_name=_("breaches per escalation level"), default=list)

    class Meta:
        verbose_name = _("SLA day summary")
        verbose_name_plural = _("SLA day summaries")
        indexes = [
            # One value of a dimension (or every case) over a period.
            models.Index(fields=["dimension", "key", "day"], name="sladaysummary_key_day"),
            # Every value of a dimension over a period (the breakdown).
            models.Index(fields=["dimension", "day"], name="sladaysummary_day"),
        ]

    def __str__(self):
        return f"{self.day} {self.metric_id} {self.dimension}={self.key}"


class SLASummaryChange(models.Model):
    """An hour (of ``stopped_at``) whose summaries must be recomputed: written by triggers, removed by the
    refresh job once it recomputed the days that hour falls in."""

    hour = models.DateTimeField(_("hour"))

    class Meta:
        verbose_name = _("SLA summary change")
        verbose_name_plural = _("SLA summary changes")
        indexes = [models.Index(fields=["hour"], name="slasummarychange_hour")]

    def __str__(self):
        return f"{self.hour}"
