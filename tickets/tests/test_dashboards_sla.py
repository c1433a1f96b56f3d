"""SLA dashboard figures against hand-counted answers, on cases walked through the services (default policy,
7×24 calendar, so business minutes are wall-clock minutes).

The cases (times in Shanghai; major severity: phone 30 min, remote 8 h, on site 24 h, resolution 48 h,
loaner 48 h):

- H  reported Feb 27 10:00, contact 10:05, resolved Feb 28 10:00         -> all in February: not counted
- E  reported Feb 28 23:50, contact Mar 1 00:20 (30 min: on the dot, met), resolved 00:30 (40 min)
- A  reported Mar 2 09:00, contact 09:10 (10 min), resolved 10:40 (100 min); outlet X
- C  reported Mar 2 09:00 by e-mail, contact 09:20 (20 min), remote 19:00 (600 min > 480: late),
     resolved 20:40 (700 min)
- D  critical, reported Mar 3 09:00, cancelled 09:05                       -> every timer cancelled: left out
- B  reported Mar 5 09:00; the sweep at 09:35 fires the 75 % and 100 % steps of its phone timer; contact
     09:40 (40 min: late, level 2); a loaner lent 10:00 (60 min); still open
- G  reported Mar 5 09:00, nothing done: phone past due, remote due 17:00

Period March 1–31; live figures at Mar 5 12:00 with "at risk" = due within 6 hours.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from aftersales.labels import LABELS
from aftersales.models import User
from aftersales.roles import Role
from aftersales.scoping import viewer
from aftersales.testing import QueryCounter
from tickets.dashboards import sla
from tickets.dashboards.filters import DashboardFilterForm, period_filters
from tickets.filters import TicketFilter
from tickets.models import Ticket, Timer
from tickets.services.billing import loaner_issue
from tickets.services.escalation import sla_sweep
from tickets.services.tickets import ticket_transition
from tickets.tests.factories import CaseFactory
from warranty.tests.factories import DealerFactory, DealerMemberFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 5, 12, 0, tzinfo=SH)
MARCH = period_filters(start=date(2026, 3, 1), end=date(2026, 3, 31), risk_hours=6)
ALL_STATUSES = [value for value, _label in Ticket.Status.choices]


def at(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


def walk(ticket, actor, *steps):
    for action, moment in steps:
        ticket = ticket_transition(ticket=ticket, action=action, actor=actor, engineer=actor, now=moment)
    return ticket


@pytest.fixture
def world(desk_user, make_user):
    engineer = make_user(Role.ENGINEER, username="eng")
    outlet = DealerFactory(code="X")
    cases = {}
    cases["H"] = walk(
        CaseFactory(actor=desk_user, reported_at=at(2, 27, 10)),
        engineer,
        ("assign", at(2, 27, 10)),
        ("contact", at(2, 27, 10, 5)),
        ("resolve", at(2, 28, 10)),
    )
    cases["E"] = walk(
        CaseFactory(actor=desk_user, reported_at=at(2, 28, 23, 50)),
        engineer,
        ("assign", at(2, 28, 23, 50)),
        ("contact", at(3, 1, 0, 20)),
        ("resolve", at(3, 1, 0, 30)),
    )
    cases["A"] = walk(
        CaseFactory(actor=desk_user, reported_at=at(3, 2, 9), serving_outlet=outlet),
        engineer,
        ("assign", at(3, 2, 9)),
        ("contact", at(3, 2, 9, 10)),
        ("resolve", at(3, 2, 10, 40)),
    )
    cases["C"] = walk(
        CaseFactory(actor=desk_user, reported_at=at(3, 2, 9), channel="email"),
        engineer,
        ("assign", at(3, 2, 9)),
        ("contact", at(3, 2, 9, 20)),
        ("start_remote", at(3, 2, 19)),
        ("resolve", at(3, 2, 20, 40)),
    )
    cases["D"] = walk(
        CaseFactory(actor=desk_user, severity="critical", reported_at=at(3, 3, 9)), engineer, ("cancel", at(3, 3, 9, 5))
    )
    cases["B"] = walk(CaseFactory(actor=desk_user, reported_at=at(3, 5, 9)), engineer, ("assign", at(3, 5, 9)))
    cases["G"] = CaseFactory(actor=desk_user, reported_at=at(3, 5, 9))
    sla_sweep(now=at(3, 5, 9, 35))
    cases["B"] = walk(cases["B"], engineer, ("contact", at(3, 5, 9, 40)))
    loaner_issue(ticket=cases["B"], actor=engineer, description="备用机", now=at(3, 5, 10))
    return cases


@pytest.fixture
def freezer_at_now(monkeypatch):
    """The queue's drill-down reads the clock (past due, at risk are "now"): stop it at NOW."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)


def by_metric(rows):
    return {row["metric"]: row for row in rows}


def test_sla_compliance_period_counts_hand_counted(world, desk_user):
    rows = by_metric(sla.sla_compliance(user=desk_user, filters=MARCH, now=NOW))
    first = rows["first_response"]
    # met: E (30, on the dot), A (10), C (20); breached: B (40). H is February's, D was cancelled.
    assert (first["met"], first["breached"], first["not_needed"], first["compliance"]) == (3, 1, 0, 75.0)
    # 10, 20, 30, 40: median between 20 and 30; p90 at 0.9 × 3 = 2.7 -> 30 + 0.7 × 10.
    assert (first["done"], first["median_minutes"], first["p90_minutes"]) == (4, 25.0, 37.0)
    remote = rows["remote_response"]
    # C went remote late (600 > 480); A and E never needed it (not counted against compliance).
    assert (remote["met"], remote["breached"], remote["not_needed"], remote["compliance"]) == (0, 1, 2, 0.0)
    assert (remote["median_minutes"], remote["p90_minutes"]) == (600.0, 600.0)
    onsite = rows["onsite_arrival"]
    assert (onsite["met"], onsite["breached"], onsite["not_needed"], onsite["compliance"]) == (0, 0, 3, None)
    assert onsite["median_minutes"] is None
    resolution = rows["resolution"]
    # E 40, A 100, C 700: median 100; p90 at 0.9 × 2 = 1.8 -> 100 + 0.8 × 600.
    assert (resolution["met"], resolution["breached"], resolution["compliance"]) == (3, 0, 100.0)
    assert (resolution["median_minutes"], resolution["p90_minutes"]) == (100.0, 580.0)
    loaner = rows["loaner"]
    # B's loaner lent after 60 min; A, C, E were resolved before one was due.
    assert (loaner["met"], loaner["not_needed"], loaner["median_minutes"]) == (1, 3, 60.0)


def test_sla_compliance_live_past_due_and_at_risk(world, desk_user):
    rows = by_metric(sla.sla_compliance(user=desk_user, filters=MARCH, now=NOW))
    # G's phone response was due 09:30; B's and G's remote response is due 17:00, within 6 h of 12:00.
    assert {code: (row["past_due"], row["at_risk"]) for code, row in rows.items()} == {
        "first_response": (1, 0),
        "remote_response": (0, 2),
        "onsite_arrival": (0, 0),
        "resolution": (0, 0),
        "loaner": (0, 0),
    }
    narrow = period_filters(start=MARCH.start, end=MARCH.end, risk_hours=4)
    assert by_metric(sla.sla_compliance(user=desk_user, filters=narrow, now=NOW))["remote_response"]["at_risk"] == 0


def test_sla_levels_breach_counts_highest_step(world, desk_user):
    rows = sla.sla_levels(user=desk_user, filters=MARCH)
    # B's late phone response had the 75 % and 100 % steps fired; C's late remote response none.
    assert rows == [
        {"metric": "first_response", "level": 2, "count": 1},
        {"metric": "remote_response", "level": 0, "count": 1},
    ]


def test_sla_trend_by_day_and_month(world, desk_user):
    daily = {
        (row["bucket"], row["metric"]): (row["met"], row["breached"])
        for row in sla.sla_trend(user=desk_user, filters=MARCH)
    }
    assert daily == {
        (date(2026, 3, 1), "first_response"): (1, 0),  # E
        (date(2026, 3, 1), "resolution"): (1, 0),  # E
        (date(2026, 3, 2), "first_response"): (2, 0),  # A, C
        (date(2026, 3, 2), "remote_response"): (0, 1),  # C
        (date(2026, 3, 2), "resolution"): (2, 0),  # A, C
        (date(2026, 3, 5), "first_response"): (0, 1),  # B
        (date(2026, 3, 5), "loaner"): (1, 0),  # B
    }
    monthly = period_filters(start=date(2026, 2, 1), end=MARCH.end, by="month")
    rows = {(row["bucket"], row["metric"]): row["met"] for row in sla.sla_trend(user=desk_user, filters=monthly)}
    assert rows[(date(2026, 2, 1), "first_response")] == 1  # H
    assert rows[(date(2026, 3, 1), "first_response")] == 3


def test_sla_open_states_worst_timer_decides(world, desk_user):
    # G: phone past due; B: remote due within 6 h. The others are resolved or cancelled.
    assert sla.sla_open_states(user=desk_user, filters=MARCH, now=NOW) == {
        "past_due": 1,
        "at_risk": 1,
        "on_track": 0,
        "paused": 0,
        "no_timer": 0,
    }


def test_sla_open_states_every_state_and_its_drilldown(world, desk_user, make_user, monkeypatch):
    # Within 1 hour nothing is at risk: G stays past due, B (remote due 17:00) is on track. P, contacted at
    # 09:10, has its other timers paused (as a policy pausing every metric while waiting leaves them); Q,
    # contacted too, has none left running (the others not needed).
    engineer = make_user(Role.ENGINEER, username="eng2")
    paused, stopped = (
        walk(
            CaseFactory(actor=desk_user, reported_at=at(3, 5, 9)),
            engineer,
            ("assign", at(3, 5, 9)),
            ("contact", at(3, 5, 9, 10)),
        )
        for _case in "PQ"
    )
    Timer.objects.filter(ticket=paused, state=Timer.State.RUNNING).update(state=Timer.State.PAUSED)
    Timer.objects.filter(ticket=stopped, state=Timer.State.RUNNING).update(
        state=Timer.State.NOT_NEEDED, stopped_at=at(3, 5, 9, 10)
    )
    hour = period_filters(start=MARCH.start, end=MARCH.end, risk_hours=1)
    assert sla.sla_open_states(user=desk_user, filters=hour, now=NOW) == {
        "past_due": 1,
        "at_risk": 0,
        "on_track": 1,
        "paused": 1,
        "no_timer": 1,
    }
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    assert cases_behind("open:past_due:1") == {world["G"].number}
    assert cases_behind("open:at_risk:1") == set()
    assert cases_behind("open:on_track:1") == {world["B"].number}
    assert cases_behind("open:paused:1") == {paused.number}
    assert cases_behind("open:no_timer:1") == {stopped.number}


def test_sla_at_risk_list_nearest_first(world, desk_user):
    rows = sla.sla_at_risk(user=desk_user, filters=MARCH, now=NOW)
    assert [(row["number"], row["metric"], row["minutes_left"]) for row in rows] == [
        (world["B"].number, "remote_response", 300),
        (world["G"].number, "remote_response", 300),
    ]
    # B's engineer by name (family name first for a Chinese one), G has none; names in the viewer's language.
    User.objects.filter(username="eng").update(first_name="小红", last_name="李")
    rows = sla.sla_at_risk(user=desk_user, filters=MARCH, now=NOW)
    assert [row["engineer"] for row in rows] == ["李小红", ""]
    assert {row["severity"] for row in rows} == {str(LABELS["severity"]["major"])}
    assert {row["metric_name"] for row in rows} == {str(LABELS["metric"]["remote_response"])}


def test_sla_loaners_and_breakdown(world, desk_user):
    assert sla.sla_loaners(user=desk_user, filters=MARCH) == {"issued": 1, "returned": 0, "out_now": 1}
    rows = sla.sla_breakdown(user=desk_user, filters=MARCH, by="channel")
    # phone: E, A, B (3 phone responses: E, A met, B late) ...; e-mail: C alone.
    assert [(row["key"], row["total"]) for row in rows] == [("phone", 6), ("email", 3)]
    email = rows[1]["metrics"]
    assert email["first_response"] == {"met": 1, "breached": 0, "compliance": 100.0}
    assert email["remote_response"] == {"met": 0, "breached": 1, "compliance": 0.0}


def test_sla_dimension_filter_narrows_every_figure(world, desk_user):
    email = period_filters(start=MARCH.start, end=MARCH.end, channel="email", risk_hours=6)
    rows = by_metric(sla.sla_compliance(user=desk_user, filters=email, now=NOW))
    assert (rows["first_response"]["met"], rows["first_response"]["median_minutes"]) == (1, 20.0)
    assert rows["remote_response"]["at_risk"] == 0


def test_sla_dealer_sees_only_its_outlets_cases(world, make_user):
    dealer_user = make_user(Role.DEALER_STAFF)
    DealerMemberFactory(user=dealer_user, dealer=world["A"].serving_outlet)
    rows = by_metric(sla.sla_compliance(user=dealer_user, filters=MARCH, now=NOW))
    assert (rows["first_response"]["met"], rows["first_response"]["breached"]) == (1, 0)
    assert rows["first_response"]["median_minutes"] == 10.0
    assert rows["remote_response"]["at_risk"] == 0
    assert sla.sla_at_risk(user=dealer_user, filters=MARCH, now=NOW) == []
    assert sla.sla_loaners(user=dealer_user, filters=MARCH)["issued"] == 0


def test_sla_compliance_query_count_fixed(world, desk_user):
    viewer(desk_user)  # who the user is, read once per request
    with QueryCounter() as counter:
        sla.sla_compliance(user=desk_user, filters=MARCH, now=NOW)
    # metrics, the period from the summaries (which says days changed since their refresh: nothing refreshed
    # here), those days, the period again with them read live, the open timers: never one per row.
    assert counter.count == 5


def cases_behind(figure_value, **params):
    data = {"status": ALL_STATUSES, "figure": figure_value, **params}
    filtered = TicketFilter(data, queryset=Ticket.objects.all())
    assert filtered.is_valid(), filtered.errors
    return {ticket.number for ticket in filtered.qs}


def test_drilldown_lists_exactly_the_cases_counted(world, freezer_at_now):
    numbers = {key: ticket.number for key, ticket in world.items()}
    assert cases_behind("met:first_response:2026-03-01:2026-03-31") == {numbers[k] for k in "EAC"}
    assert cases_behind("breached:first_response:2026-03-01:2026-03-31") == {numbers["B"]}
    assert cases_behind("not_needed:remote_response:2026-03-01:2026-03-31") == {numbers["A"], numbers["E"]}
    assert cases_behind("met:first_response:2026-03-01:2026-03-31", channel="email") == {numbers["C"]}
    assert cases_behind("level:first_response:2:2026-03-01:2026-03-31") == {numbers["B"]}
    assert cases_behind("level:remote_response:0:2026-03-01:2026-03-31") == {numbers["C"]}
    assert cases_behind("past_due:first_response") == {numbers["G"]}
    assert cases_behind("at_risk:remote_response:6") == {numbers["B"], numbers["G"]}
    assert cases_behind("open:past_due:6") == {numbers["G"]}
    assert cases_behind("open:at_risk:6") == {numbers["B"]}
    assert cases_behind("loaner:2026-03-01:2026-03-31") == {numbers["B"]}


def test_drilldown_bad_figure_is_a_form_error(db):
    for value in ("nonsense", "met:first_response:2026-03-31:2026-03-01", "at_risk:all:0", "met:a b:2026-01-01:x"):
        filtered = TicketFilter({"figure": value}, queryset=Ticket.objects.all())
        assert not filtered.is_valid()
        assert filtered.errors["figure"].as_data()[0].code == "figure_invalid"


def test_filter_form_defaults_and_refusals():
    form = DashboardFilterForm({}, today=date(2026, 3, 31))
    assert form.is_valid()
    filters = form.filters()
    assert (filters.start, filters.end, filters.by, filters.risk_hours) == (
        date(2026, 3, 2),
        date(2026, 3, 31),
        "day",
        4,
    )
    reversed_ = DashboardFilterForm({"start": "2026-03-10", "end": "2026-03-01"}, today=date(2026, 3, 31))
    assert not reversed_.is_valid()
    assert reversed_.errors["end"].as_data()[0].code == "period_reversed"
    too_long = DashboardFilterForm({"start": "2020-01-01", "end": "2026-03-01"}, today=date(2026, 3, 31))
    assert too_long.errors["end"].as_data()[0].code == "period_too_long"
    assert not DashboardFilterForm({"risk_hours": "0"}, today=date(2026, 3, 31)).is_valid()
    yearly = DashboardFilterForm({"start": "2025-01-01", "end": "2025-12-31"}, today=date(2026, 3, 31))
    assert yearly.is_valid() and yearly.filters().by == "week"
    # The period's instants are midnights in the business zone, whatever zone the viewer has.
    assert MARCH.start_at == datetime(2026, 3, 1, tzinfo=SH) and MARCH.end_at == datetime(2026, 4, 1, tzinfo=SH)
