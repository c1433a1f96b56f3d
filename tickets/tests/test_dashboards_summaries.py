"""The SLA dashboard's maintained day summaries: rebuilt from scratch, maintained by the refresh job, and read
live where days changed since — always the live figures, on the hand-counted cases of test_dashboards_sla
(see its docstring for the cases and their times)."""

from datetime import UTC, date, timedelta

import pytest
from django.conf import settings
from django.db import connection

from aftersales.roles import Role
from aftersales.scoping import viewer
from aftersales.testing import QueryCounter
from tickets.dashboards import sla, summaries
from tickets.dashboards.filters import period_filters
from tickets.models import Escalation, EscalationStep, SLADaySummary, SLASummaryChange, Ticket, Timer
from tickets.services.holidays import holiday_schedule_save
from tickets.services.timers import timers_recompute
from tickets.tasks import sla_summaries_refresh_task
from tickets.tests import test_dashboards_sla as cases
from tickets.tests.test_dashboards_sla import MARCH, NOW, at, by_metric, walk
from warranty.tests.factories import DealerFactory, DealerMemberFactory

pytestmark = pytest.mark.django_db
world = cases.world  # the hand-counted cases (a fixture)

# Every way the SLA page reads the period figures: no filter, one dimension, a breakdown per dimension.
VIEWS = [
    MARCH,
    period_filters(start=MARCH.start, end=MARCH.end, channel="email"),
    period_filters(start=MARCH.start, end=MARCH.end, severity="major"),
    period_filters(start=MARCH.start, end=MARCH.end, outlet="X"),
    period_filters(start=MARCH.start, end=MARCH.end, engineer="eng"),
    period_filters(start=date(2026, 2, 1), end=MARCH.end, by="week"),
    period_filters(start=date(2026, 2, 1), end=MARCH.end, by="month"),
]
GROUPS = ["severity", "channel", "province", "outlet", "engineer", "product_line", "sla_policy"]


def figures(user, filters, *, live=False):
    """Every period figure of the SLA page (the live ones too: they do not depend on the summaries)."""
    return {
        "compliance": sla.sla_compliance(user=user, filters=filters, now=NOW, live=live),
        "levels": sla.sla_levels(user=user, filters=filters, live=live),
        "trend": sla.sla_trend(user=user, filters=filters, live=live),
        **{
            f"by {group}": sla.sla_breakdown(user=user, filters=filters, by=group, live=live)
            for group in GROUPS
            if summaries.usable(user=user, filters=filters, group=group)
        },
    }


def assert_all_live(user):
    for filters in VIEWS:
        assert figures(user, filters) == figures(user, filters, live=True), filters


def summary_rows():
    return sorted(
        (r.day, r.metric_id, r.dimension, r.key or "", r.met, r.breached, r.not_needed, r.done, sorted(r.minutes))
        + (sorted(r.levels),)
        for r in SLADaySummary.objects.all()
    )


def assert_hand_counted(user):
    rows = by_metric(sla.sla_compliance(user=user, filters=MARCH, now=NOW))
    first = rows["first_response"]
    assert (first["met"], first["breached"], first["not_needed"], first["compliance"]) == (3, 1, 0, 75.0)
    assert (first["done"], first["median_minutes"], first["p90_minutes"]) == (4, 25.0, 37.0)
    remote = rows["remote_response"]
    # not_needed (A, E) is shown and left out of compliance: C's late remote response alone -> 0 %.
    assert (remote["met"], remote["breached"], remote["not_needed"], remote["compliance"]) == (0, 1, 2, 0.0)
    assert (rows["resolution"]["median_minutes"], rows["resolution"]["p90_minutes"]) == (100.0, 580.0)
    assert (rows["onsite_arrival"]["not_needed"], rows["onsite_arrival"]["compliance"]) == (3, None)
    assert sla.sla_levels(user=user, filters=MARCH) == [
        {"metric": "first_response", "level": 2, "count": 1},
        {"metric": "remote_response", "level": 0, "count": 1},
    ]
    channels = sla.sla_breakdown(user=user, filters=MARCH, by="channel")
    assert [(row["key"], row["total"]) for row in channels] == [("phone", 6), ("email", 3)]
    outlets = sla.sla_breakdown(user=user, filters=MARCH, by="outlet")
    # A is served by outlet X (3 met: phone, resolution, and nothing else counted); the rest by none.
    assert [(row["key"], row["total"]) for row in outlets] == [("", 7), ("X", 2)]
    email = period_filters(start=MARCH.start, end=MARCH.end, channel="email")
    assert by_metric(sla.sla_compliance(user=user, filters=email, now=NOW))["first_response"]["median_minutes"] == 20.0
    daily = {(r["bucket"], r["metric"]): (r["met"], r["breached"]) for r in sla.sla_trend(user=user, filters=MARCH)}
    assert daily[(date(2026, 3, 2), "remote_response")] == (0, 1)
    assert daily[(date(2026, 3, 5), "first_response")] == (0, 1)


def test_summaries_rebuilt_maintained_and_live_agree_hand_counted(world, desk_user):
    assert viewer(desk_user).everything and summaries.usable(user=desk_user, filters=MARCH)
    # Nothing summarised yet: every day is recorded as changed and read live.
    assert SLADaySummary.objects.count() == 0 and SLASummaryChange.objects.exists()
    assert_hand_counted(desk_user)
    assert_all_live(desk_user)
    # Maintained: the job recomputes the changed days and leaves none.
    result = summaries.sla_summaries_refresh()
    assert result.days > 0 and not SLASummaryChange.objects.exists()
    maintained = summary_rows()
    first_march = SLADaySummary.objects.get(day=date(2026, 3, 2), dimension="", metric__code="first_response")
    assert (first_march.met, first_march.done, sorted(first_march.minutes)) == (2, 2, [10, 20])  # A, C
    assert_hand_counted(desk_user)
    assert_all_live(desk_user)
    # Rebuilt from scratch: the same rows, the same figures.
    summaries.sla_summaries_refresh(full=True)
    assert summary_rows() == maintained
    assert_hand_counted(desk_user)
    assert_all_live(desk_user)


def test_summaries_refresh_is_idempotent(world, desk_user):
    summaries.sla_summaries_refresh()
    before = summary_rows()
    again = summaries.sla_summaries_refresh()
    assert (again.days, again.rows) == (0, 0)
    assert sla_summaries_refresh_task() == 0  # the beat job's task
    assert summary_rows() == before
    assert settings.CELERY_BEAT_SCHEDULE["sla-summaries"]["task"] == "tickets.sla_summaries_refresh"


def test_summaries_read_in_one_statement_per_figure_when_clean(world, desk_user):
    summaries.sla_summaries_refresh()
    viewer(desk_user)
    with QueryCounter() as counter:
        sla.sla_compliance(user=desk_user, filters=MARCH, now=NOW)
    # metrics, the period from the summaries (telling that no day changed since), the open timers.
    assert counter.count == 3
    for call in (
        lambda: sla.sla_levels(user=desk_user, filters=MARCH),
        lambda: sla.sla_trend(user=desk_user, filters=MARCH),
    ):
        with QueryCounter() as counter:
            call()
        assert counter.count == 1
    # A change recorded in the period: the first statement says so; the changed days, the figure again with
    # them read live.
    Timer.objects.filter(ticket=world["A"]).update(business_minutes=1)
    with QueryCounter() as counter:
        sla.sla_trend(user=desk_user, filters=MARCH)
    assert counter.count == 3


def test_summaries_outcome_recorded_days_later(world, desk_user, make_user):
    summaries.sla_summaries_refresh()
    engineer = make_user(Role.ENGINEER, username="late")
    # G's first contact (due 09:30 on Mar 5) is recorded later, as made at 09:50: 50 min, late.
    walk(Ticket.objects.get(pk=world["G"].pk), engineer, ("assign", at(3, 5, 9, 45)), ("contact", at(3, 5, 9, 50)))
    # Before the job ran: Mar 5 is read live, so the figure is already right.
    assert SLASummaryChange.objects.exists()
    first = by_metric(sla.sla_compliance(user=desk_user, filters=MARCH, now=NOW))["first_response"]
    assert (first["met"], first["breached"], first["done"]) == (3, 2, 5)
    # 10, 20, 30, 40, 50: median 30, p90 at 0.9 × 4 = 3.6 -> 40 + 0.6 × 10.
    assert (first["median_minutes"], first["p90_minutes"]) == (30.0, 46.0)
    assert_all_live(desk_user)
    summaries.sla_summaries_refresh()
    assert not SLASummaryChange.objects.exists()
    first = by_metric(sla.sla_compliance(user=desk_user, filters=MARCH, now=NOW))["first_response"]
    assert (first["breached"], first["median_minutes"], first["p90_minutes"]) == (2, 30.0, 46.0)
    assert_all_live(desk_user)


def test_summaries_case_moved(world, desk_user):
    summaries.sla_summaries_refresh()
    other = DealerFactory(code="Y")
    # C changes channel (e-mail -> phone) and A moves from outlet X to Y, after their timers stopped.
    Ticket.objects.filter(pk=world["C"].pk).update(channel="phone")
    Ticket.objects.filter(pk=world["A"].pk).update(serving_outlet=other)
    for _state in ("changed days read live", "recomputed"):
        rows = sla.sla_breakdown(user=desk_user, filters=MARCH, by="channel")
        assert [(row["key"], row["total"]) for row in rows] == [("phone", 9)]
        rows = sla.sla_breakdown(user=desk_user, filters=MARCH, by="outlet")
        assert [(row["key"], row["total"]) for row in rows] == [("", 7), ("Y", 2)]
        x = period_filters(start=MARCH.start, end=MARCH.end, outlet="X")
        assert by_metric(sla.sla_compliance(user=desk_user, filters=x, now=NOW))["first_response"]["met"] == 0
        assert_all_live(desk_user)
        summaries.sla_summaries_refresh()
    assert not SLASummaryChange.objects.exists()


def test_summaries_late_escalation_and_reordered_ladder(world, desk_user):
    summaries.sla_summaries_refresh()
    timer = Timer.objects.get(ticket=world["C"], metric__code="remote_response")
    steps = list(EscalationStep.objects.filter(policy=world["C"].sla_policy).order_by("order"))
    # An escalation of C's late remote response written after it stopped: level 1.
    Escalation.objects.create(timer=timer, step=steps[0], due_at=at(3, 2, 18), fired_at=at(3, 2, 18))
    expected = [
        {"metric": "first_response", "level": 2, "count": 1},
        {"metric": "remote_response", "level": steps[0].order, "count": 1},
    ]
    assert sla.sla_levels(user=desk_user, filters=MARCH) == expected
    summaries.sla_summaries_refresh()
    assert sla.sla_levels(user=desk_user, filters=MARCH) == expected
    # The ladder renumbered: the levels reached follow.
    EscalationStep.objects.filter(pk=steps[0].pk).update(order=steps[-1].order + 10)
    assert sla.sla_levels(user=desk_user, filters=MARCH, live=True)[-1]["level"] == steps[-1].order + 10
    assert_all_live(desk_user)
    summaries.sla_summaries_refresh()
    assert_all_live(desk_user)


def test_summaries_holiday_schedule_and_recomputed_deadlines_change_nothing_stopped(world, desk_user):
    summaries.sla_summaries_refresh()
    before = summary_rows()
    # A new holiday schedule recomputes running deadlines; recomputing every case does the same to all.
    holiday_schedule_save(year=2026, days_off=[date(2026, 3, 6)], makeup_days=[], now=NOW)
    for ticket in Ticket.objects.all():
        timers_recompute(ticket, now=NOW + timedelta(days=3))
    # Only open timers moved: no stopped timer's day is recorded as changed, and the figures still agree.
    assert not SLASummaryChange.objects.exists()
    summaries.sla_summaries_refresh()
    assert summary_rows() == before
    assert_hand_counted(desk_user)
    assert_all_live(desk_user)


def test_summaries_refresh_keeps_changes_made_meanwhile(world, desk_user):
    summaries.sla_summaries_refresh()
    # A change recorded after the job took its batch stays for the next run (the job removes only what it
    # took): simulated by a batch limit — two changed hours a month apart, one batch per run.
    Ticket.objects.filter(pk=world["H"].pk).update(channel="web")  # February
    Ticket.objects.filter(pk=world["A"].pk).update(channel="web")  # March
    first = summaries.sla_summaries_refresh(batch_days=1, max_batches=1)
    assert first.batches == 1 and SLASummaryChange.objects.exists()
    assert_all_live(desk_user)
    summaries.sla_summaries_refresh()
    assert not SLASummaryChange.objects.exists()
    assert_all_live(desk_user)


def test_summaries_not_used_where_they_cannot_serve(world, desk_user, make_user):
    summaries.sla_summaries_refresh()
    dealer_user = make_user(Role.DEALER_STAFF)
    DealerMemberFactory(user=dealer_user, dealer=world["A"].serving_outlet)
    two = period_filters(start=MARCH.start, end=MARCH.end, channel="phone", outlet="X")
    customer = period_filters(start=MARCH.start, end=MARCH.end, customer=12345)
    channel = period_filters(start=MARCH.start, end=MARCH.end, channel="phone")
    assert not summaries.usable(user=dealer_user, filters=MARCH)
    assert not summaries.usable(user=desk_user, filters=two)
    assert not summaries.usable(user=desk_user, filters=customer)
    assert not summaries.usable(user=desk_user, filters=channel, group="outlet")
    assert summaries.usable(user=desk_user, filters=channel, group="channel")
    # The live answers stand for them; the summaries would have been wrong to use (they mix scopes).
    rows = by_metric(sla.sla_compliance(user=dealer_user, filters=MARCH, now=NOW))
    assert (rows["first_response"]["met"], rows["first_response"]["median_minutes"]) == (1, 10.0)
    rows = by_metric(sla.sla_compliance(user=desk_user, filters=two, now=NOW))
    assert rows["first_response"]["met"] == 1


def test_summaries_triggers_record_stop_hours(world):
    SLASummaryChange.objects.all().delete()
    timer = Timer.objects.get(ticket=world["A"], metric__code="first_response")
    Timer.objects.filter(pk=timer.pk).update(next_action_at=None)  # nothing a summary counts
    assert not SLASummaryChange.objects.exists()
    Timer.objects.filter(pk=timer.pk).update(business_minutes=11)
    with connection.cursor() as cursor:
        cursor.execute("SELECT hour FROM tickets_slasummarychange")
        hours = [row[0] for row in cursor.fetchall()]
    assert hours == [timer.stopped_at.replace(minute=0, second=0, microsecond=0)]


def test_summaries_hour_of_stops_touches_both_days_in_a_half_hour_zone(settings):
    from datetime import datetime

    # 18:00–18:59 UTC is 23:30–00:29 in India: a change in that hour may be on either business day.
    settings.TIME_ZONE = "Asia/Kolkata"
    hour = datetime(2026, 3, 1, 18, tzinfo=UTC)
    assert summaries._days_of_hours([hour]) == {date(2026, 3, 1), date(2026, 3, 2)}
    settings.TIME_ZONE = "Asia/Shanghai"
    assert summaries._days_of_hours([hour]) == {date(2026, 3, 2)}


def test_summaries_refresh_leaves_the_days_to_a_run_at_work(world):
    import psycopg2

    db = connection.settings_dict
    other = psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None, host=db["HOST"], port=db["PORT"] or None
    )
    try:
        with other.cursor() as cursor:
            cursor.execute("BEGIN; SELECT pg_advisory_xact_lock(%s)", [summaries.LOCK])  # another run at work
        assert summaries.sla_summaries_refresh().batches == 0
        assert SLASummaryChange.objects.exists()
    finally:
        other.rollback()
        other.close()
    assert summaries.sla_summaries_refresh().batches == 1
