"""Service-quality selectors: follow-up calls and scheduled visits against plan, satisfaction per dimension,
outlet and engineer, complaints and their answer times, repeat repairs — aggregated in PostgreSQL, scoped to
the user who asks.

- **Follow-ups** count by their due time in the period: done on time (by the due time), done late, overdue
  (not done, due time passed), to do (not due yet). On time % = on time ÷ those due by now.
- **Visits** count by their due day in the period (visits belong to an outlet and an engineer, so only the
  outlet and engineer filters apply to them): done by the due day, done later, overdue, upcoming.
- **Satisfaction** is the surveys of the follow-ups done in the period: the mean of each 1–5 score, the share
  running normally, and the share satisfied (every score 4 or 5).
- **Complaints** are the follow-ups of the period that became one; answered on time or late as the answer
  said (its event), open, and open past the answer deadline; answer time in hours from the call to the answer.
- **Repeat repairs** are the period's repairs (repair records of units, whoever reported them) of a fault the
  same unit had repaired within 30 / 90 / 365 days before; with case filters set, only repairs reported by
  matching cases count (their history still counts every repair of the unit).
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import (
    Avg,
    BooleanField,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Extract, TruncDate
from django.db.models.lookups import Exact, IsNull

from aftersales.dates import business_date, business_zone
from aftersales.scoping import scope_for
from tickets.dashboards.filters import DashboardFilters
from tickets.dashboards.sla import case_scope
from tickets.dashboards.sql import PercentileCont
from tickets.models import FollowUp, RepairReport, TicketEvent, Visit
from warranty import dashboards as warranty_dashboards
from warranty.models import RepairRecord

GROUP_SIZE = 50
SCORES = ("attitude", "quality", "solved")
SATISFIED_FROM = 4


def _share(part: int, whole: int) -> float | None:
    return None if not whole else round(100 * part / whole, 1)


# -- conditions shared with the drill-down -------------------------------------------------------------


def followups_due_in(filters: DashboardFilters) -> Q:
    return Q(due_at__gte=filters.start_at, due_at__lt=filters.end_at)


def followup_outcome_q(outcome: str, now: datetime) -> Q:
    done = Q(status=FollowUp.Status.DONE)
    return {
        "on_time": done & Q(done_at__lte=F("due_at")),
        "late": done & Q(done_at__gt=F("due_at")),
        "overdue": Q(status=FollowUp.Status.PENDING, due_at__lt=now),
        "to_do": Q(status=FollowUp.Status.PENDING, due_at__gte=now),
    }[outcome]


FOLLOWUP_OUTCOMES = ("on_time", "late", "overdue", "to_do")


def surveys_in(filters: DashboardFilters) -> Q:
    return Q(status=FollowUp.Status.DONE, done_at__gte=filters.start_at, done_at__lt=filters.end_at)


def complaints_in(filters: DashboardFilters) -> Q:
    return surveys_in(filters) & Q(complaint=True)


def answer_of_complaint() -> tuple[Subquery, Subquery]:
    """For a complaint follow-up: when the first answer after the call was given, and whether it was late
    (as the answer's event says). Used inline (not as annotations) so aggregates can filter on them."""
    answers = TicketEvent.objects.filter(
        ticket=OuterRef("ticket_id"), kind="complaint_answered", at__gte=OuterRef("done_at")
    ).order_by("at", "id")
    answered_at = Subquery(answers.values("at")[:1], output_field=DateTimeField())
    late = Subquery(
        answers.annotate(late=Cast(KT("data__late"), BooleanField())).values("late")[:1], output_field=BooleanField()
    )
    return answered_at, late


def complaint_outcome_q(outcome: str, now: datetime) -> Q:
    answered_at, late = answer_of_complaint()
    return {
        "answered_on_time": Q(IsNull(answered_at, False), Exact(late, False)),
        "answered_late": Q(IsNull(answered_at, False), Exact(late, True)),
        "open": Q(IsNull(answered_at, True)),
        "open_overdue": Q(IsNull(answered_at, True), ticket__complaint_due_at__lt=now),
    }[outcome]


COMPLAINT_OUTCOMES = ("answered_on_time", "answered_late", "open", "open_overdue")


def visit_outcome_q(outcome: str, today) -> Q:
    done = Q(status=Visit.Status.DONE)
    return {
        "on_time": done & Q(done_day__lte=F("due_on")),
        "late": done & Q(done_day__gt=F("due_on")),
        "overdue": Q(status=Visit.Status.PLANNED, due_on__lt=today),
        "upcoming": Q(status=Visit.Status.PLANNED, due_on__gte=today),
    }[outcome]


VISIT_OUTCOMES = ("on_time", "late", "overdue", "upcoming")


# -- scoped sources ------------------------------------------------------------------------------------


def followup_scope(*, user, filters: DashboardFilters) -> QuerySet[FollowUp]:
    return scope_for(user, FollowUp.objects.filter(filters.ticket_q("ticket__")))


def visit_scope(*, user, filters: DashboardFilters) -> QuerySet[Visit]:
    visits = Visit.objects.all()
    if filters.outlet:
        visits = visits.filter(outlet__code=filters.outlet)
    if filters.engineer:
        visits = visits.filter(assigned_to__username=filters.engineer)
    return scope_for(user, visits).annotate(done_day=TruncDate("done_at", tzinfo=business_zone()))


def repair_scope(*, user, filters: DashboardFilters) -> QuerySet[RepairRecord]:
    """The period's repair records of units the user may see; with case filters set, those reported by
    matching cases."""
    records = scope_for(
        user, RepairRecord.objects.filter(confirmed_at__gte=filters.start_at, confirmed_at__lt=filters.end_at)
    )
    if filters.dimension_params():
        reports = RepairReport.objects.filter(ticket__in=case_scope(user=user, filters=filters))
        records = records.filter(pk__in=reports.values("repair_record_id"))
    return records


# -- figures -------------------------------------------------------------------------------------------


def followups_against_plan(*, user, filters: DashboardFilters, now: datetime) -> dict:
    """Follow-up calls due in the period: planned, on time, late, overdue, to do, and on time %."""
    counts = (
        followup_scope(user=user, filters=filters)
        .filter(followups_due_in(filters))
        .aggregate(
            planned=Count("pk"),
            **{outcome: Count("pk", filter=followup_outcome_q(outcome, now)) for outcome in FOLLOWUP_OUTCOMES},
        )
    )
    counts["on_time_rate"] = _share(counts["on_time"], counts["on_time"] + counts["late"] + counts["overdue"])
    return counts


def visits_against_plan(*, user, filters: DashboardFilters, now: datetime) -> list[dict]:
    """Scheduled visits due in the period, per kind (phone follow-up, on-site inspection)."""
    today = business_date(now)
    rows = (
        visit_scope(user=user, filters=filters)
        .filter(due_on__gte=filters.start, due_on__lte=filters.end)
        .values("kind")
        .annotate(
            planned=Count("pk"),
            **{outcome: Count("pk", filter=visit_outcome_q(outcome, today)) for outcome in VISIT_OUTCOMES},
        )
        .order_by("kind")
    )
    by_kind = {row["kind"]: row for row in rows}
    result = []
    for kind, label in Visit.Kind.choices:
        row = by_kind.get(kind, {"planned": 0, **dict.fromkeys(VISIT_OUTCOMES, 0)})
        due = row["on_time"] + row["late"] + row["overdue"]
        result.append(
            {
                "kind": kind,
                "kind_name": str(label),
                "planned": row["planned"],
                **{outcome: row[outcome] for outcome in VISIT_OUTCOMES},
                "done_rate": _share(row["on_time"] + row["late"], due),
                "on_time_rate": _share(row["on_time"], due),
            }
        )
    return result


def _survey_figures():
    low = SATISFIED_FROM
    return {
        "answered": Count("pk"),
        **{f"{score}_avg": Avg(score) for score in SCORES},
        "runs_normally": Count("pk", filter=Q(runs_normally=True)),
        "satisfied": Count("pk", filter=Q(attitude__gte=low, quality__gte=low, solved__gte=low)),
        "complaints": Count("pk", filter=Q(complaint=True)),
    }


def _survey_row(row: dict) -> dict:
    answered = row["answered"]
    return {
        "answered": answered,
        **{f"{score}_avg": None if row[f"{score}_avg"] is None else round(row[f"{score}_avg"], 2) for score in SCORES},
        "runs_normally_rate": _share(row["runs_normally"], answered),
        "satisfied_rate": _share(row["satisfied"], answered),
        "complaints": row["complaints"],
    }


SATISFACTION_GROUPS = {"outlet": "ticket__serving_outlet__code", "engineer": "ticket__assigned_engineer__username"}


def satisfaction(*, user, filters: DashboardFilters) -> dict:
    """The surveys of the period: mean score per dimension, running normally %, satisfied %."""
    surveys = followup_scope(user=user, filters=filters).filter(surveys_in(filters))
    return _survey_row(surveys.aggregate(**_survey_figures()))


def satisfaction_by(*, user, filters: DashboardFilters, by: str, limit: int = GROUP_SIZE) -> list[dict]:
    """The same per outlet or per engineer of the case, the most surveyed first."""
    path = SATISFACTION_GROUPS[by]
    rows = (
        followup_scope(user=user, filters=filters)
        .filter(surveys_in(filters))
        .values(key=F(path))
        .annotate(**_survey_figures())
        .order_by("-answered", "key")[:limit]
    )
    return [{"key": row["key"] or "", **_survey_row(row)} for row in rows]


def complaints(*, user, filters: DashboardFilters, now: datetime) -> dict:
    """Complaints raised in the period, how they were answered, and the answer time (hours, median and
    90th percentile of those answered)."""
    raised = followup_scope(user=user, filters=filters).filter(complaints_in(filters))
    answered_at, _late = answer_of_complaint()
    hours = Extract(ExpressionWrapper(answered_at - F("done_at"), output_field=DurationField()), "epoch") / 3600.0
    answered = Q(IsNull(answered_at, False))
    counts = raised.aggregate(
        raised=Count("pk"),
        **{outcome: Count("pk", filter=complaint_outcome_q(outcome, now)) for outcome in COMPLAINT_OUTCOMES},
        median_hours=PercentileCont(hours, 0.5, filter=answered),
        p90_hours=PercentileCont(hours, 0.9, filter=answered),
    )
    for key in ("median_hours", "p90_hours"):
        counts[key] = None if counts[key] is None else round(counts[key], 1)
    answered_count = counts["answered_on_time"] + counts["answered_late"]
    counts["on_time_rate"] = _share(counts["answered_on_time"], answered_count + counts["open_overdue"])
    return counts


def repeat_repairs(*, user, filters: DashboardFilters) -> dict:
    """Repairs of the period and how many repeated a fault of the same unit within 30 / 90 / 365 days."""
    counts = warranty_dashboards.repeat_repair_counts(repair_scope(user=user, filters=filters))
    for days in warranty_dashboards.REPEAT_WINDOWS:
        counts[f"within_{days}_rate"] = _share(counts[f"within_{days}"], counts["repairs"])
    return counts


def quality_headline(*, user, filters: DashboardFilters, now: datetime) -> dict:
    """What a manager's home page shows of service quality."""
    return {
        "followups": followups_against_plan(user=user, filters=filters, now=now),
        "satisfaction": satisfaction(user=user, filters=filters),
        "complaints": complaints(user=user, filters=filters, now=now),
    }
