from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from aftersales.errors import ConflictError
from aftersales.roles import Role
from tickets.models import BusinessCalendar, SLAPolicy, Timer
from tickets.services.followups import followup_complete
from tickets.services.tickets import ticket_change_severity, ticket_create, ticket_transition

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # a Monday


def timers(ticket):
    return {t.metric.code: t for t in Timer.objects.filter(ticket=ticket).select_related("metric")}


@pytest.fixture
def engineer(make_user):
    return make_user(Role.ENGINEER)


@pytest.fixture
def desk(desk_user):
    return desk_user


def new_ticket(desk, severity="critical", at=T0, **extra):
    return ticket_create(
        actor=desk,
        channel="phone",
        reporter_name="张先生",
        description="机房UPS告警",
        severity=severity,
        reported_at=at,
        now=at,
        **extra,
    )


def test_create_makes_one_timer_per_metric_on_the_default_policy(desk):
    ticket = new_ticket(desk)
    assert ticket.number.startswith("SR260302-")
    due = {code: timer.due_at for code, timer in timers(ticket).items()}
    assert due["first_response"] == T0 + timedelta(minutes=10)
    assert due["remote_response"] == T0 + timedelta(hours=3)
    assert due["onsite_arrival"] == T0 + timedelta(hours=12)
    assert due["resolution"] == T0 + timedelta(hours=24)
    assert {timer.state for timer in timers(ticket).values()} == {"running"}
    assert list(ticket.events.values_list("kind", flat=True)) == ["created"]


def test_report_taken_earlier_can_be_breached_at_once(desk):
    ticket = ticket_create(
        actor=desk,
        channel="phone",
        reporter_name="x",
        description="y",
        severity="critical",
        reported_at=T0,
        now=T0 + timedelta(minutes=30),
    )
    first = timers(ticket)["first_response"]
    assert (first.state, first.breached_at) == ("breached", T0 + timedelta(minutes=10))


def test_onsite_deadline_uses_distance_band_when_later(desk):
    ticket = new_ticket(desk, distance_km=800)
    assert timers(ticket)["onsite_arrival"].due_at == T0 + timedelta(hours=48)


def test_full_lifecycle_meets_timers_and_pauses_resolution(desk, engineer):
    ticket = new_ticket(desk)
    ticket = ticket_transition(
        ticket=ticket, action="assign", actor=desk, engineer=engineer, now=T0 + timedelta(minutes=2)
    )
    ticket = ticket_transition(ticket=ticket, action="contact", actor=engineer, now=T0 + timedelta(minutes=8))
    assert timers(ticket)["first_response"].state == "met"
    ticket = ticket_transition(ticket=ticket, action="wait_customer", actor=engineer, now=T0 + timedelta(hours=1))
    paused = timers(ticket)
    assert paused["resolution"].state == "paused" and paused["resolution"].due_at is None
    assert paused["loaner"].state == "running"  # waiting for the customer does not pause the loaner clock
    ticket = ticket_transition(ticket=ticket, action="resume", actor=engineer, now=T0 + timedelta(hours=3))
    assert timers(ticket)["resolution"].due_at == T0 + timedelta(hours=26)  # 24 h target + 2 h paused
    ticket = ticket_transition(ticket=ticket, action="check_in", actor=engineer, now=T0 + timedelta(hours=5))
    assert timers(ticket)["onsite_arrival"].state == "met"
    ticket = ticket_transition(ticket=ticket, action="resolve", actor=engineer, now=T0 + timedelta(hours=6))
    final = timers(ticket)
    assert final["resolution"].state == "met"
    assert final["loaner"].state == "not_needed"  # resolved before a loaner was due
    assert final["remote_response"].state == "not_needed"  # no remote session: it went on site
    assert final["remote_response"].met_at is None
    assert final["onsite_arrival"].state == "met"
    ticket = ticket_transition(ticket=ticket, action="confirm", actor=desk, now=T0 + timedelta(hours=7))
    with pytest.raises(ConflictError) as refused:
        ticket_transition(ticket=ticket, action="close", actor=desk, now=T0 + timedelta(hours=8))
    assert refused.value.code == "followup_required"
    followup = ticket.followups.get()
    assert followup.due_at == T0 + timedelta(hours=6) + timedelta(days=3)  # 3 days on the 7×24 calendar
    followup_complete(
        followup=followup, actor=desk, attitude=5, quality=5, solved=4, runs_normally=True, now=T0 + timedelta(days=1)
    )
    ticket = ticket_transition(ticket=ticket, action="close", actor=desk, now=T0 + timedelta(days=1))
    assert ticket.status == "closed"
    kinds = list(ticket.events.order_by("at", "id").values_list("kind", "from_state", "to_state"))
    assert kinds == [
        ("created", "", "new"),
        ("assign", "new", "assigned"),
        ("contact", "assigned", "in_progress"),
        ("wait_customer", "in_progress", "waiting_customer"),
        ("resume", "waiting_customer", "in_progress"),
        ("check_in", "in_progress", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("confirm", "resolved", "confirmed"),
        ("followup_done", "", ""),
        ("close", "confirmed", "closed"),
    ]


def test_late_contact_is_recorded_as_breached_by_how_much(desk, engineer):
    ticket = new_ticket(desk)
    ticket = ticket_transition(ticket=ticket, action="assign", actor=desk, engineer=engineer, now=T0)
    ticket = ticket_transition(ticket=ticket, action="contact", actor=engineer, now=T0 + timedelta(minutes=25))
    first = timers(ticket)["first_response"]
    assert (first.state, first.breach_minutes) == ("breached", 15)


def test_severity_change_recomputes_from_start_and_ledger(desk, engineer):
    ticket = new_ticket(desk, severity="minor")
    ticket = ticket_transition(ticket=ticket, action="assign", actor=desk, engineer=engineer, now=T0)
    ticket = ticket_transition(ticket=ticket, action="contact", actor=engineer, now=T0 + timedelta(minutes=5))
    ticket = ticket_transition(ticket=ticket, action="wait_parts", actor=engineer, now=T0 + timedelta(hours=1))
    ticket = ticket_transition(ticket=ticket, action="resume", actor=engineer, now=T0 + timedelta(hours=2))
    assert timers(ticket)["resolution"].due_at == T0 + timedelta(hours=73)
    ticket_change_severity(ticket=ticket, severity="critical", actor=desk, now=T0 + timedelta(hours=2))
    assert timers(ticket)["resolution"].due_at == T0 + timedelta(hours=25)  # 24 h + the 1 h wait for parts
    assert timers(ticket)["first_response"].state == "met"  # what was met stays met


def test_pause_across_a_holiday_on_a_working_day_policy(desk, engineer):
    policy = SLAPolicy.objects.get(is_default=True)
    policy.calendar = BusinessCalendar.objects.get(statutory_holidays="CN")
    policy.save()
    start = datetime(2025, 9, 30, 9, 0, tzinfo=SHANGHAI)
    ticket = new_ticket(desk, severity="minor", at=start)
    ticket = ticket_transition(ticket=ticket, action="assign", actor=desk, engineer=engineer, now=start)
    ticket = ticket_transition(ticket=ticket, action="contact", actor=engineer, now=start)
    ticket = ticket_transition(
        ticket=ticket, action="wait_customer", actor=engineer, now=datetime(2025, 9, 30, 16, 0, tzinfo=SHANGHAI)
    )
    ticket = ticket_transition(
        ticket=ticket, action="resume", actor=engineer, now=datetime(2025, 10, 9, 10, 0, tzinfo=SHANGHAI)
    )
    # Minor resolution is 72 business hours of 08:30–17:00 (8.5 h days). Worked before the pause: 09:00–16:00
    # on 30 Sep = 7 h. Paused until 9 Oct 10:00 (the holiday is inside the pause, not counted twice); 9 Oct
    # 10:00–17:00 = 7 h (14 h), 10 Oct 8.5 h (22.5), make-up Sat 11 Oct 8.5 h (31), then 13–17 Oct 42.5 h
    # (73.5): the 72nd hour ends on Fri 17 Oct at 15:30.
    assert timers(ticket)["resolution"].due_at == datetime(2025, 10, 17, 15, 30, tzinfo=SHANGHAI)


def test_coverage_snapshot_is_taken_at_intake(desk, car):
    ticket = new_ticket(desk, unit=car, at=datetime(2026, 7, 1, 9, 0, tzinfo=SHANGHAI))  # bought 1 Jun 2026
    assert ticket.customer == car.customer
    assert ticket.coverage_snapshot["serial"] == car.serial
    assert ticket.coverage_snapshot["covered"] is True


def test_customer_policy_wins_over_default(desk):
    from warranty.tests.factories import CustomerFactory

    customer = CustomerFactory()
    default = SLAPolicy.objects.get(is_default=True)
    special = SLAPolicy.objects.create(
        code="VIP", name="VIP", effective_from="2020-01-01", calendar=default.calendar, created_at=T0
    )
    severity = special.severities.create(code="critical", name="critical", rank=1)
    special.targets.create(severity=severity, metric=default.targets.first().metric, minutes=5)
    special.customers.add(customer)
    ticket = new_ticket(desk, customer=customer)
    assert ticket.sla_policy == special
    assert [t.target_minutes for t in timers(ticket).values()] == [5]


def test_policy_change_recomputes_deadlines_with_the_same_severity(desk):
    from tickets.services.tickets import ticket_change_policy

    ticket = new_ticket(desk, severity="major")
    default = ticket.sla_policy
    faster = SLAPolicy.objects.create(
        code="FAST", name="fast", effective_from="2020-01-01", calendar=default.calendar, created_at=T0
    )
    severity = faster.severities.create(code="major", name="major", rank=1)
    resolution = default.targets.get(metric__code="resolution", severity__code="major").metric
    faster.targets.create(severity=severity, metric=resolution, minutes=120)
    ticket = ticket_change_policy(ticket=ticket, policy=faster, actor=desk, now=T0 + timedelta(minutes=5))
    current = timers(ticket)
    assert current["resolution"].due_at == T0 + timedelta(hours=2)
    assert current["first_response"].state == "cancelled"  # the new policy has no such target
    assert ticket.events.filter(kind="policy_changed").exists()
