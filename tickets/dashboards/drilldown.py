"""From a dashboard figure to the cases behind it: the case queue's ``figure`` filter.

A figure is named by a short, bookmarkable value, e.g. ``breached:first_response:2026-03-01:2026-03-31``;
the dimension filters travel as the queue's own parameters (severity, channel, outlet, …), so
``/cases/?figure=…&severity=major`` lists exactly the cases the figure counted. The conditions are the
selectors' own (tickets.dashboards.sla / quality), never a second copy.

Figures (dates are business dates, inclusive; ``metric`` is a metric code):

====================================================  ==============================================
``met|breached|not_needed:<metric>:<from>:<to>``      timers that stopped so in the period
``past_due:<metric|all>``                              open cases with that timer past its deadline
``at_risk:<metric|all>:<hours>``                       running timers due within the hours
``level:<metric>:<level>:<from>:<to>``                 breaches of the period that reached the level
``open:<state>:<hours>``                               open cases by their most pressing timer
``loaner:<from>:<to>``                                 substitute units lent in the period
``followup:<outcome>:<from>:<to>``                     follow-up calls due in the period, by outcome
``survey:<from>:<to>``                                 follow-up surveys done in the period
``complaint:<outcome>:<from>:<to>``                    complaints raised in the period, by outcome
``repeat:<days>:<from>:<to>``                          repeat repairs of the period
``warning:<id>``                                       the cases behind a recurring-fault warning
====================================================  ==============================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from tickets.dashboards import quality, sla, warnings
from tickets.dashboards.filters import MAX_RISK_HOURS, period_filters
from tickets.models import Loaner, RepairReport, Ticket, Timer
from warranty import dashboards as warranty_dashboards
from warranty.models import RepairRecord

FIGURE_INVALID = "figure_invalid"
SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,32}$")
STOP_OUTCOMES = ("met", "breached", "not_needed")


@dataclass(frozen=True)
class Figure:
    kind: str
    args: tuple

    def __str__(self):
        return ":".join([self.kind, *(a.isoformat() if isinstance(a, date) else str(a) for a in self.args)])


def figure(kind: str, *args) -> str:
    """The ``figure`` value of a drill-down link."""
    return str(Figure(kind, tuple(args)))


def _day(text: str) -> date:
    value = date.fromisoformat(text)
    if not 1900 <= value.year <= 2200:
        raise ValueError(text)
    return value


def _int(text: str, low: int, high: int) -> int:
    value = int(text)
    if not low <= value <= high:
        raise ValueError(text)
    return value


def _slug(text: str) -> str:
    if not SLUG.match(text):
        raise ValueError(text)
    return text


def _choice(options):
    def parse(text: str) -> str:
        if text not in options:
            raise ValueError(text)
        return text

    return parse


# kind -> parsers of its arguments
GRAMMAR = {
    **{outcome: (_slug, _day, _day) for outcome in STOP_OUTCOMES},
    "past_due": (_slug,),
    "at_risk": (_slug, lambda text: _int(text, 1, MAX_RISK_HOURS)),
    "level": (_slug, lambda text: _int(text, 0, 1000), _day, _day),
    "open": (_choice(sla.OPEN_STATES), lambda text: _int(text, 1, MAX_RISK_HOURS)),
    "loaner": (_day, _day),
    "followup": (_choice(quality.FOLLOWUP_OUTCOMES), _day, _day),
    "survey": (_day, _day),
    "complaint": (_choice(("raised", *quality.COMPLAINT_OUTCOMES)), _day, _day),
    "repeat": (_choice(tuple(str(days) for days in warranty_dashboards.REPEAT_WINDOWS)), _day, _day),
    "warning": (lambda text: _int(text, 1, 2**63 - 1),),
}


def parse(value: str) -> Figure:
    """A figure value, checked; raises ValueError when it names no figure."""
    kind, *parts = value.split(":")
    parsers = GRAMMAR.get(kind)
    if parsers is None or len(parts) != len(parsers):
        raise ValueError(value)
    args = tuple(parser(part) for parser, part in zip(parsers, parts, strict=True))
    if len(args) >= 2 and isinstance(args[-1], date) and isinstance(args[-2], date) and args[-2] > args[-1]:
        raise ValueError(value)
    return Figure(kind, args)


class FigureField(forms.CharField):
    default_error_messages = {FIGURE_INVALID: _("This is not a dashboard figure.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 120)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)  # text checks (length, NUL) first
        if not value:
            return None
        try:
            return parse(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages[FIGURE_INVALID], code=FIGURE_INVALID) from None


def _metric_q(metric: str, prefix: str = "") -> Q:
    return Q() if metric == "all" else Q(**{f"{prefix}metric__code": metric})


def cases_behind(tickets: QuerySet[Ticket], value: Figure) -> QuerySet[Ticket]:
    """``tickets`` narrowed to the cases a figure counts (``tickets`` is already scoped to the viewer)."""
    now = timezone.now()
    kind, args = value.kind, value.args
    if kind in STOP_OUTCOMES:
        metric, start, end = args
        period = period_filters(start=start, end=end)
        timers = Timer.objects.filter(_metric_q(metric), sla.stopped_in(period), sla.outcome_q(kind))
        return tickets.filter(pk__in=timers.values("ticket_id"))
    if kind == "past_due":
        return tickets.filter(pk__in=Timer.objects.filter(_metric_q(args[0]), sla.past_due_q(now)).values("ticket_id"))
    if kind == "at_risk":
        metric, hours = args
        timers = Timer.objects.filter(_metric_q(metric), sla.at_risk_q(now, hours))
        return tickets.filter(pk__in=timers.values("ticket_id"))
    if kind == "level":
        metric, level, start, end = args
        timers = (
            Timer.objects.filter(_metric_q(metric), sla.stopped_in(period_filters(start=start, end=end)))
            .filter(state=Timer.State.BREACHED)
            .annotate(level=sla.escalation_level())
            .filter(level=level)
        )
        return tickets.filter(pk__in=timers.values("ticket_id"))
    if kind == "open":
        state, hours = args
        return sla.open_case_states(tickets, now=now, risk_hours=hours).filter(sla.OPEN_STATE_Q[state])
    if kind == "loaner":
        period = period_filters(start=args[0], end=args[1])
        lent = Loaner.objects.filter(lent_at__gte=period.start_at, lent_at__lt=period.end_at)
        return tickets.filter(pk__in=lent.values("ticket_id"))
    if kind == "followup":
        outcome, start, end = args
        period = period_filters(start=start, end=end)
        calls = quality.FollowUp.objects.filter(
            quality.followups_due_in(period), quality.followup_outcome_q(outcome, now)
        )
        return tickets.filter(pk__in=calls.values("ticket_id"))
    if kind == "survey":
        period = period_filters(start=args[0], end=args[1])
        return tickets.filter(pk__in=quality.FollowUp.objects.filter(quality.surveys_in(period)).values("ticket_id"))
    if kind == "complaint":
        outcome, start, end = args
        raised = quality.FollowUp.objects.filter(quality.complaints_in(period_filters(start=start, end=end)))
        if outcome != "raised":
            raised = raised.filter(quality.complaint_outcome_q(outcome, now))
        return tickets.filter(pk__in=raised.values("ticket_id"))
    if kind == "repeat":
        days, start, end = args
        period = period_filters(start=start, end=end)
        records = RepairRecord.objects.filter(confirmed_at__gte=period.start_at, confirmed_at__lt=period.end_at)
        repeats = warranty_dashboards.repeat_records(records, int(days))
        return tickets.filter(pk__in=RepairReport.objects.filter(repair_record__in=repeats).values("ticket_id"))
    if kind == "warning":
        records = warnings.warning_records(args[0])
        return tickets.filter(pk__in=RepairReport.objects.filter(repair_record__in=records).values("ticket_id"))
    raise ValueError(kind)  # the grammar has no other kinds


@extend_schema_field(OpenApiTypes.STR)
class FigureFilter(django_filters.Filter):
    """The case queue's ``figure`` filter (see the module docstring)."""

    field_class = FigureField

    def filter(self, qs, value):
        return qs if value is None else cases_behind(qs, value)
