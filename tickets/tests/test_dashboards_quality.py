"""Service-quality figures against hand-counted answers (default policy: 7×24 calendar, follow-up due 3 days
after resolution, a score of 2 or less is a complaint to answer within 2 days).

Follow-ups (resolved -> due; done; scores attitude/quality/solved, runs normally):
- Q1 outlet X, engineer e1: resolved Mar 2 10:00 -> due Mar 5 10:00; done Mar 4 10:00, 5/5/5 yes   on time
- Q2 outlet X, engineer e1: resolved Mar 2 10:00 -> due Mar 5 10:00; done Mar 6 10:00, 4/4/3 yes   late
- Q3 outlet Y, engineer e2: resolved Mar 3 10:00 -> due Mar 6 10:00; done Mar 5 10:00, 2/4/4 yes   on time,
  complaint (due Mar 7 10:00) answered Mar 6 10:00 (24 h, on time)
- Q6 outlet Y, engineer e2: resolved Mar 3 10:00 -> due Mar 6 10:00; done Mar 4 10:00, 1/1/1 no    on time,
  complaint (due Mar 6 10:00) never answered
- Q4: resolved Mar 10 10:00 -> due Mar 13 10:00; not done                                           overdue
- Q5: resolved Mar 25 10:00 -> due Mar 28 10:00; not done                                           not due yet
Visits: phone due Mar 10 done Mar 9; on site due Mar 10 done Mar 12; on site due Mar 15 not done; on site
due Mar 30 not done; on site due Apr 2 (outside).
Now: Mar 27 12:00.
"""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from aftersales.roles import Role
from tickets.dashboards import quality
from tickets.dashboards.filters import period_filters
from tickets.filters import TicketFilter
from tickets.models import FollowUp, Ticket, Visit, VisitPlan
from tickets.services.followups import complaint_answer, followup_complete
from tickets.services.repairs import RepairFacts
from tickets.services.tickets import ticket_transition
from tickets.tests.factories import CaseFactory
from warranty.tests.factories import ContractFactory, DealerFactory, DealerMemberFactory, RepairFactory, UnitFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 27, 12, 0, tzinfo=SH)
MARCH = period_filters(start=date(2026, 3, 1), end=date(2026, 3, 31))
ALL_STATUSES = [value for value, _label in Ticket.Status.choices]


def at(month, day, hour=10, minute=0, year=2026):
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def resolved_case(desk, engineer, *, outlet=None, resolved):
    ticket = CaseFactory(actor=desk, reported_at=resolved.replace(hour=8), serving_outlet=outlet)
    for action in ("assign", "contact", "resolve"):
        ticket = ticket_transition(ticket=ticket, action=action, actor=engineer, engineer=engineer, now=resolved)
    return ticket


def survey(ticket, actor, done, scores, runs=True):
    followup = FollowUp.objects.get(ticket=ticket, status="pending")
    attitude, quality_, solved = scores
    followup_complete(
        followup=followup,
        actor=actor,
        attitude=attitude,
        quality=quality_,
        solved=solved,
        runs_normally=runs,
        now=done,
    )


@pytest.fixture
def world(desk_user, make_user):
    e1 = make_user(Role.ENGINEER, username="e1")
    e2 = make_user(Role.ENGINEER, username="e2")
    x, y = DealerFactory(code="X"), DealerFactory(code="Y")
    cases = {
        "Q1": resolved_case(desk_user, e1, outlet=x, resolved=at(3, 2)),
        "Q2": resolved_case(desk_user, e1, outlet=x, resolved=at(3, 2)),
        "Q3": resolved_case(desk_user, e2, outlet=y, resolved=at(3, 3)),
        "Q6": resolved_case(desk_user, e2, outlet=y, resolved=at(3, 3)),
        "Q4": resolved_case(desk_user, e1, resolved=at(3, 10)),
        "Q5": resolved_case(desk_user, e1, resolved=at(3, 25)),
    }
    survey(cases["Q1"], desk_user, at(3, 4), (5, 5, 5))
    survey(cases["Q2"], desk_user, at(3, 6), (4, 4, 3))
    survey(cases["Q3"], desk_user, at(3, 5), (2, 4, 4))
    survey(cases["Q6"], desk_user, at(3, 4), (1, 1, 1), runs=False)
    complaint_answer(ticket=cases["Q3"], actor=desk_user, answer="已回访致歉", now=at(3, 6))
    plan = VisitPlan.objects.create(code="p", name="plan", phone_per_year=1, onsite_per_year=4)
    contract = ContractFactory()
    for slot, kind, due, done in [
        ("1", "phone", date(2026, 3, 10), at(3, 9)),
        ("2", "onsite", date(2026, 3, 10), at(3, 12)),
        ("3", "onsite", date(2026, 3, 15), None),
        ("4", "onsite", date(2026, 3, 30), None),
        ("5", "onsite", date(2026, 4, 2), None),
    ]:
        Visit.objects.create(
            plan=plan,
            contract=contract,
            slot=slot,
            kind=kind,
            due_on=due,
            outlet=x,
            status="done" if done else "planned",
            done_at=done,
            created_at=at(1, 1),
        )
    return cases


def test_followups_against_plan_hand_counted(world, desk_user):
    assert FollowUp.objects.get(ticket=world["Q4"]).due_at == at(3, 13)  # 3 days after resolution
    assert quality.followups_against_plan(user=desk_user, filters=MARCH, now=NOW) == {
        "planned": 6,
        "on_time": 3,  # Q1, Q3, Q6
        "late": 1,  # Q2
        "overdue": 1,  # Q4
        "to_do": 1,  # Q5
        "on_time_rate": 60.0,  # 3 of the 5 due by now
    }


def test_visits_against_plan_per_kind(world, desk_user):
    rows = {row["kind"]: row for row in quality.visits_against_plan(user=desk_user, filters=MARCH, now=NOW)}
    assert {key: rows["phone"][key] for key in ("planned", "on_time", "late", "overdue", "upcoming", "done_rate")} == {
        "planned": 1,
        "on_time": 1,
        "late": 0,
        "overdue": 0,
        "upcoming": 0,
        "done_rate": 100.0,
    }
    onsite = rows["onsite"]
    assert (onsite["planned"], onsite["on_time"], onsite["late"], onsite["overdue"], onsite["upcoming"]) == (
        3,
        0,
        1,
        1,
        1,
    )
    # Due by today: the late one and the overdue one; one of them done.
    assert (onsite["done_rate"], onsite["on_time_rate"]) == (50.0, 0.0)
    other_outlet = period_filters(start=MARCH.start, end=MARCH.end, outlet="Y")
    assert all(
        row["planned"] == 0 for row in quality.visits_against_plan(user=desk_user, filters=other_outlet, now=NOW)
    )


def test_satisfaction_per_dimension_outlet_engineer(world, desk_user):
    assert quality.satisfaction(user=desk_user, filters=MARCH) == {
        "answered": 4,
        "attitude_avg": 3.0,  # (5 + 4 + 2 + 1) / 4
        "quality_avg": 3.5,  # (5 + 4 + 4 + 1) / 4
        "solved_avg": 3.25,  # (5 + 3 + 4 + 1) / 4
        "runs_normally_rate": 75.0,  # Q6 not
        "satisfied_rate": 25.0,  # only Q1 has every score 4 or 5
        "complaints": 2,  # Q3, Q6
    }
    outlets = quality.satisfaction_by(user=desk_user, filters=MARCH, by="outlet")
    assert [(row["key"], row["answered"], row["attitude_avg"], row["solved_avg"]) for row in outlets] == [
        ("X", 2, 4.5, 4.0),
        ("Y", 2, 1.5, 2.5),
    ]
    engineers = quality.satisfaction_by(user=desk_user, filters=MARCH, by="engineer")
    assert [(row["key"], row["satisfied_rate"], row["complaints"]) for row in engineers] == [
        ("e1", 50.0, 0),
        ("e2", 0.0, 2),
    ]


def test_complaints_answers_and_times(world, desk_user):
    assert quality.complaints(user=desk_user, filters=MARCH, now=NOW) == {
        "raised": 2,
        "answered_on_time": 1,  # Q3, a day after the call
        "answered_late": 0,
        "open": 1,  # Q6
        "open_overdue": 1,  # due Mar 6
        "on_time_rate": 50.0,
        "median_hours": 24.0,
        "p90_hours": 24.0,
    }


def test_quality_dealer_sees_its_outlet_only(world, make_user):
    user = make_user(Role.DEALER_STAFF)
    DealerMemberFactory(user=user, dealer=world["Q1"].serving_outlet)
    assert quality.satisfaction(user=user, filters=MARCH)["answered"] == 2
    assert quality.followups_against_plan(user=user, filters=MARCH, now=NOW)["planned"] == 2
    assert quality.complaints(user=user, filters=MARCH, now=NOW)["raised"] == 0


def test_repeat_repairs_within_30_90_365_days(db, desk_user):
    u1, u2, u3, u4 = UnitFactory(), UnitFactory(), UnitFactory(), UnitFactory()
    for unit, code, day, quality_problem in [
        (u1, "P1", at(1, 20), True),
        (u1, "P1", at(3, 10), True),  # 49 days after: within 90 and 365
        (u1, "P2", at(3, 12), True),  # another fault: no repeat
        (u2, "P1", at(3, 1), True),
        (u2, "P1", at(3, 20), True),  # 19 days after: within 30, 90, 365
        (u3, "P1", at(3, 5), False),  # misuse: not a fault of the product
        (u3, "P1", at(3, 6), True),  # its earlier repair was no fault: no repeat
        (u4, "P3", at(3, 20, year=2025), True),
        (u4, "P3", at(3, 15), True),  # 360 days after: within 365 only
    ]:
        RepairFactory(unit=unit, problem_code=code, confirmed_at=day, completed_at=day, quality_problem=quality_problem)
    assert quality.repeat_repairs(user=desk_user, filters=MARCH) == {
        "repairs": 6,
        "within_30": 1,
        "within_90": 2,
        "within_365": 3,
        "within_30_rate": 16.7,
        "within_90_rate": 33.3,
        "within_365_rate": 50.0,
    }


def cases_behind(value, **params):
    filtered = TicketFilter({"status": ALL_STATUSES, "figure": value, **params}, queryset=Ticket.objects.all())
    assert filtered.is_valid(), filtered.errors
    return {ticket.number for ticket in filtered.qs}


def test_quality_drilldown_lists_the_cases_counted(world, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    n = {key: ticket.number for key, ticket in world.items()}
    assert cases_behind("followup:on_time:2026-03-01:2026-03-31") == {n["Q1"], n["Q3"], n["Q6"]}
    assert cases_behind("followup:overdue:2026-03-01:2026-03-31") == {n["Q4"]}
    assert cases_behind("followup:to_do:2026-03-01:2026-03-31") == {n["Q5"]}
    assert cases_behind("survey:2026-03-01:2026-03-31", outlet="X") == {n["Q1"], n["Q2"]}
    assert cases_behind("complaint:raised:2026-03-01:2026-03-31") == {n["Q3"], n["Q6"]}
    assert cases_behind("complaint:answered_on_time:2026-03-01:2026-03-31") == {n["Q3"]}
    assert cases_behind("complaint:open_overdue:2026-03-01:2026-03-31") == {n["Q6"]}


def test_repeat_drilldown_lists_cases_whose_repair_repeated(desk_user, make_user, car_model, monkeypatch):
    engineer = make_user(Role.ENGINEER)
    unit = UnitFactory(
        product_model=car_model, invoice_date=date(2025, 12, 1), delivery_date=date(2025, 12, 1), usage_reading=5000
    )
    numbers = []
    for day, usage in ((at(3, 2), 5100), (at(3, 20), 5200)):
        ticket = CaseFactory(actor=desk_user, unit=unit, reported_at=day.replace(hour=8))
        for action in ("assign", "contact"):
            ticket = ticket_transition(ticket=ticket, action=action, actor=engineer, engineer=engineer, now=day)
        facts = RepairFacts(problem_code="P9", usage=usage, repair_agreed_at=day, excluded_hours=Decimal(0))
        ticket_transition(ticket=ticket, action="resolve", actor=engineer, repair=facts, now=day)
        numbers.append(ticket.number)
    assert quality.repeat_repairs(user=desk_user, filters=MARCH)["within_30"] == 1
    # The second repair is the repeat; its case is the one behind the figure.
    assert cases_behind("repeat:30:2026-03-01:2026-03-31") == {numbers[1]}
