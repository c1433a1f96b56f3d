from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command

from aftersales.errors import ConflictError
from aftersales.roles import Role
from tickets.models import Escalation, Notification, Timer
from tickets.services.escalation import escalation_acknowledge, sla_sweep
from tickets.services.tickets import ticket_create, ticket_transition

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def staff(make_user):
    return {
        "engineer": make_user(Role.ENGINEER, email="eng@example.com"),
        "service_manager": make_user(Role.SERVICE_MANAGER, email="sm@example.com"),
        "department_manager": make_user(Role.DEPARTMENT_MANAGER, email="dm@example.com"),
        "general_manager": make_user(Role.GENERAL_MANAGER, email="gm@example.com"),
    }


@pytest.fixture
def case(desk_user, staff):
    ticket = ticket_create(
        actor=desk_user,
        channel="phone",
        reporter_name="x",
        description="机房断电",
        severity="critical",
        reported_at=T0,
        now=T0,
    )
    return ticket_transition(ticket=ticket, action="assign", actor=desk_user, engineer=staff["engineer"], now=T0)


def fired(metric: str) -> list[int]:
    return sorted(Escalation.objects.filter(timer__metric__code=metric).values_list("step__order", flat=True))


def notified(step_order: int, metric: str = "first_response") -> set[int]:
    return set(
        Notification.objects.filter(
            escalation__step__order=step_order, escalation__timer__metric__code=metric
        ).values_list("recipient_id", flat=True)
    )


def test_first_response_walks_every_step_once(case, staff):
    # Critical first response: 10 min; steps at 75 % (8 min), 100 %, 150 %, 200 % (domain.md §3).
    timer = Timer.objects.get(ticket=case, metric__code="first_response")
    assert timer.next_action_at == T0 + timedelta(minutes=8)
    for minutes, expected in [(7, []), (8, [1]), (9, [1]), (10, [1, 2]), (15, [1, 2, 3]), (20, [1, 2, 3, 4])]:
        sla_sweep(now=T0 + timedelta(minutes=minutes))
        sla_sweep(now=T0 + timedelta(minutes=minutes))  # a second sweep at the same time fires nothing new
        assert fired("first_response") == expected, minutes
    assert notified(1) == {staff["engineer"].pk}
    assert notified(2) == {staff["service_manager"].pk}
    assert notified(3) == {staff["department_manager"].pk}
    assert notified(4) == {staff["general_manager"].pk}
    timer.refresh_from_db()
    assert timer.state == "breached" and timer.next_action_at is None
    assert case.events.filter(kind="escalation").count() == 4


def test_a_sweep_that_did_not_run_for_an_hour_catches_up_once(case):
    result = sla_sweep(now=T0 + timedelta(hours=1))
    assert fired("first_response") == [1, 2, 3, 4]
    assert result.fired == 4
    assert sla_sweep(now=T0 + timedelta(hours=1)).fired == 0


def test_met_timer_escalates_no_further(case, staff):
    sla_sweep(now=T0 + timedelta(minutes=8))
    ticket_transition(ticket=case, action="contact", actor=staff["engineer"], now=T0 + timedelta(minutes=9))
    sla_sweep(now=T0 + timedelta(hours=1))
    assert fired("first_response") == [1]


def test_cancelled_case_escalates_no_further(case, desk_user):
    ticket_transition(ticket=case, action="cancel", actor=desk_user, now=T0 + timedelta(minutes=1))
    sla_sweep(now=T0 + timedelta(days=5))
    assert not Escalation.objects.exists()


def test_pause_across_a_step_and_resume(case, staff):
    # Critical resolution: 24 h; its 75 % step is due at +18 h. Waiting for the customer from +17 h to +20 h
    # pauses it, so the step moves to +21 h.
    engineer = staff["engineer"]
    ticket = ticket_transition(ticket=case, action="contact", actor=engineer, now=T0 + timedelta(minutes=5))
    ticket = ticket_transition(ticket=ticket, action="wait_customer", actor=engineer, now=T0 + timedelta(hours=17))
    sla_sweep(now=T0 + timedelta(hours=19))
    assert fired("resolution") == []
    ticket = ticket_transition(ticket=ticket, action="resume", actor=engineer, now=T0 + timedelta(hours=20))
    timer = Timer.objects.get(ticket=ticket, metric__code="resolution")
    assert timer.next_action_at == T0 + timedelta(hours=21)
    sla_sweep(now=T0 + timedelta(hours=20, minutes=59))
    assert fired("resolution") == []
    sla_sweep(now=T0 + timedelta(hours=21))
    assert fired("resolution") == [1]


def test_step_actions_raise_severity_and_reassign(case, staff, make_user):
    from tickets.models import EscalationStep

    backup = make_user(Role.ENGINEER)
    step = EscalationStep.objects.get(policy=case.sla_policy, order=2)
    step.raise_severity, step.reassign_to = True, backup
    step.save()
    ticket = case
    ticket.severity = ticket.sla_policy.severities.get(code="major")  # start lower so it can be raised
    ticket.save()
    from tickets.services.timers import timers_retarget

    timers_retarget(ticket, now=T0)
    sla_sweep(now=T0 + timedelta(minutes=30))  # major first response: 30 min -> steps 1 and 2 due
    ticket.refresh_from_db()
    assert ticket.severity.code == "critical"
    assert ticket.assigned_engineer == backup


def test_digest_mail_per_recipient_in_their_language(case, staff, django_capture_on_commit_callbacks, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from aftersales.celery import app

    app.conf.task_always_eager = True
    try:
        staff["general_manager"].language = "en"
        staff["general_manager"].save()
        with django_capture_on_commit_callbacks(execute=True):
            sla_sweep(now=T0 + timedelta(hours=1))
    finally:
        app.conf.task_always_eager = False
    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == ["dm@example.com", "eng@example.com", "gm@example.com", "sm@example.com"]
    english = next(message for message in mail.outbox if message.to == ["gm@example.com"])
    assert "escalation" in english.subject and case.number in english.body
    chinese = next(message for message in mail.outbox if message.to == ["eng@example.com"])
    assert case.number in chinese.body and "escalation" not in chinese.subject


def test_acknowledge_once(case, staff):
    sla_sweep(now=T0 + timedelta(minutes=8))
    escalation = Escalation.objects.get()
    escalation_acknowledge(escalation=escalation, actor=staff["engineer"])
    assert Notification.objects.get().read_at is not None
    with pytest.raises(ConflictError) as refused:
        escalation_acknowledge(escalation=escalation, actor=staff["engineer"])
    assert refused.value.code == "already_acknowledged"


def test_management_command_sweeps_as_of_a_given_time(case, capsys):
    call_command("sla_sweep", "--now", (T0 + timedelta(minutes=10)).isoformat())
    assert "fired 2" in capsys.readouterr().out
    assert fired("first_response") == [1, 2]


def test_webhook_channel_posts_the_sweeps_notifications(case, staff, settings):
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from tickets.services.notifications import notification_channels_send

    received = []

    class Gateway(BaseHTTPRequestHandler):  # stands in for an SMS gateway outside the product
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings.NOTIFY_WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/hook"
        settings.NOTIFICATION_CHANNELS = ["tickets.channels.WebhookChannel"]
        sla_sweep(now=T0 + timedelta(minutes=10))
        ids = list(Notification.objects.values_list("id", flat=True))
        assert notification_channels_send(notification_ids=ids) == 2
    finally:
        server.shutdown()
    assert [n["case"] for n in received[0]["notifications"]] == [case.number, case.number]
    assert {n["recipient"] for n in received[0]["notifications"]} == {
        staff["engineer"].username,
        staff["service_manager"].username,
    }


def test_webhook_failure_raises_so_the_task_retries(case, settings):
    from tickets.services.notifications import notification_channels_send

    settings.NOTIFY_WEBHOOK_URL = "http://127.0.0.1:9/nothing-listens-here"
    settings.NOTIFICATION_CHANNELS = ["tickets.channels.WebhookChannel"]
    sla_sweep(now=T0 + timedelta(minutes=8))
    with pytest.raises(OSError):
        notification_channels_send(notification_ids=list(Notification.objects.values_list("id", flat=True)))
