from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from aftersales.errors import ApplicationError, ConflictError
from aftersales.roles import Role
from tickets.models import BusinessCalendar, FollowUp, Notification, SLAPolicy
from tickets.services.followups import complaint_answer, followup_complete
from tickets.services.tickets import ticket_create, ticket_transition

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def engineer(make_user):
    return make_user(Role.ENGINEER)


def resolved_case(desk, engineer, at):
    ticket = ticket_create(
        actor=desk, channel="phone", reporter_name="x", description="y", severity="minor", reported_at=at, now=at
    )
    for action in ("assign", "contact", "resolve"):
        ticket = ticket_transition(ticket=ticket, action=action, actor=desk, engineer=engineer, now=at)
    return ticket


def test_followup_due_three_working_days_after_resolution_on_the_business_calendar(desk_user, engineer):
    policy = SLAPolicy.objects.get(is_default=True)
    policy.calendar = BusinessCalendar.objects.get(statutory_holidays="CN")
    policy.save()
    # Resolved Tue 30 Sep 2025 15:00; National Day 1–8 Oct is off: 9, 10 Oct and the make-up Sat 11 Oct.
    ticket = resolved_case(desk_user, engineer, datetime(2025, 9, 30, 15, 0, tzinfo=SHANGHAI))
    assert ticket.followups.get().due_at == datetime(2025, 10, 11, 15, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("scores", "runs", "complaint"),
    [((5, 5, 5), True, False), ((3, 3, 3), True, False), ((5, 2, 5), True, True), ((5, 5, 5), False, True)],
)
def test_low_score_or_not_running_reopens_as_complaint(desk_user, engineer, make_user, scores, runs, complaint):
    manager = make_user(Role.SERVICE_MANAGER)
    at = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # Monday; the default policy is 7×24
    ticket = resolved_case(desk_user, engineer, at)
    followup = followup_complete(
        followup=ticket.followups.get(),
        actor=desk_user,
        attitude=scores[0],
        quality=scores[1],
        solved=scores[2],
        runs_normally=runs,
        now=at + timedelta(days=1),
    )
    ticket.refresh_from_db()
    assert followup.complaint is complaint
    assert (ticket.status == "in_progress") is complaint
    assert (ticket.complaint_due_at == at + timedelta(days=3)) is complaint  # answer within 2 working days
    assert Notification.objects.filter(recipient=manager, kind="complaint").exists() is complaint


def test_complaint_answered_once_and_followup_not_twice(desk_user, engineer):
    at = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
    ticket = resolved_case(desk_user, engineer, at)
    followup = followup_complete(
        followup=ticket.followups.get(),
        actor=desk_user,
        attitude=1,
        quality=1,
        solved=1,
        runs_normally=False,
        comments="还是不制冷",
        now=at + timedelta(days=1),
    )
    with pytest.raises(ConflictError):
        followup_complete(followup=followup, actor=desk_user, attitude=5, quality=5, solved=5, runs_normally=True)
    complaint_answer(ticket=ticket, actor=desk_user, answer="已安排主管上门", now=at + timedelta(days=2))
    with pytest.raises(ConflictError):
        complaint_answer(ticket=ticket, actor=desk_user, answer="again")


def test_scores_out_of_range_are_refused(desk_user, engineer):
    ticket = resolved_case(desk_user, engineer, datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI))
    with pytest.raises(ApplicationError) as refused:
        followup_complete(
            followup=ticket.followups.get(), actor=desk_user, attitude=0, quality=6, solved=3, runs_normally=True
        )
    assert set(refused.value.details) == {"attitude", "quality"}
    assert FollowUp.objects.get().status == "pending"


def test_followups_page_lists_and_records_the_call(client, desk_user, engineer):
    from django.utils import timezone

    now = timezone.now()
    ticket = resolved_case(desk_user, engineer, now - timedelta(hours=1))
    client.force_login(desk_user)
    page = client.get("/cases/followups/", {"when": "all"})
    assert [f.ticket for f in page.context["followups"]] == [ticket]
    client.post(
        f"/cases/followups/{ticket.followups.get().pk}/done/",
        {
            "attitude": "5",
            "quality": "4",
            "solved": "5",
            "runs_normally": "yes",
            "comments": "满意",
            "version": ticket.version,
        },
    )
    assert ticket.followups.get().status == "done"
    assert list(client.get("/cases/followups/", {"when": "all"}).context["followups"]) == []


def test_followup_api_complete_validates_scores(desk_api, desk_user, engineer):
    from django.utils import timezone

    ticket = resolved_case(desk_user, engineer, timezone.now())
    followup = ticket.followups.get()
    bad = desk_api.post(
        f"/api/v1/followups/{followup.pk}/complete/",
        {"attitude": 9, "quality": 5, "solved": 5, "runs_normally": True},
        format="json",
    )
    assert bad.status_code == 400 and "attitude" in bad.json()["details"]
    version = desk_api.get(f"/api/v1/followups/{followup.pk}/").json()["ticket_version"]
    ok = desk_api.post(
        f"/api/v1/followups/{followup.pk}/complete/",
        {"attitude": 5, "quality": 5, "solved": 5, "runs_normally": True, "version": version},
        format="json",
    )
    assert ok.status_code == 200 and ok.json()["status"] == "done"
    assert ok.json()["ticket_version"] == version + 1
    assert desk_api.get("/api/v1/followups/", {"status": "pending"}).json()["count"] == 0


def test_unanswered_complaint_goes_to_department_managers_once(desk_user, engineer, make_user):
    from tickets.services.followups import complaints_notify_overdue

    department = make_user(Role.DEPARTMENT_MANAGER)
    at = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
    ticket = resolved_case(desk_user, engineer, at)
    followup_complete(
        followup=ticket.followups.get(),
        actor=desk_user,
        attitude=1,
        quality=1,
        solved=1,
        runs_normally=False,
        now=at + timedelta(days=1),
    )
    ticket.refresh_from_db()
    assert complaints_notify_overdue(now=ticket.complaint_due_at - timedelta(minutes=1)) == 0
    assert complaints_notify_overdue(now=ticket.complaint_due_at) == 1
    assert complaints_notify_overdue(now=ticket.complaint_due_at + timedelta(hours=1)) == 0
    assert Notification.objects.filter(recipient=department, kind="complaint_overdue").count() == 1
    complaint_answer(ticket=ticket, actor=desk_user, answer="已处理")


def test_answered_complaint_is_not_escalated(desk_user, engineer, make_user):
    from tickets.services.followups import complaints_notify_overdue

    make_user(Role.DEPARTMENT_MANAGER)
    at = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
    ticket = resolved_case(desk_user, engineer, at)
    followup_complete(
        followup=ticket.followups.get(),
        actor=desk_user,
        attitude=2,
        quality=5,
        solved=5,
        runs_normally=True,
        now=at + timedelta(days=1),
    )
    complaint_answer(ticket=ticket, actor=desk_user, answer="已电话致歉并安排复检", now=at + timedelta(days=2))
    assert complaints_notify_overdue(now=at + timedelta(days=10)) == 0
