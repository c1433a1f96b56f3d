"""Who may act on a case (tickets.permissions): the table README's roles section describes."""

import pytest

from aftersales.roles import Role
from tickets.permissions import EVERY_ACTION, case_actions, may_act, may_create_case

pytestmark = pytest.mark.django_db


class Case:
    def __init__(self, assigned_engineer_id=None):
        self.assigned_engineer_id = assigned_engineer_id


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SERVICE_MANAGER, Role.DEPARTMENT_MANAGER, Role.GENERAL_MANAGER])
def test_managers_and_admins_may_do_everything(make_user, role):
    assert case_actions(make_user(role), Case()) == EVERY_ACTION


def test_engineer_works_only_the_cases_assigned_to_him(make_user):
    engineer, other = make_user(Role.ENGINEER), make_user(Role.ENGINEER)
    own, theirs = Case(assigned_engineer_id=engineer.pk), Case(assigned_engineer_id=other.pk)
    for action in ("check_in", "resolve", "charges", "repair_order", "contact"):
        assert may_act(engineer, own, action)
        assert not may_act(engineer, theirs, action)
        assert not may_act(engineer, Case(), action)
    for action in ("assign", "severity", "sla_policy", "cancel", "close"):
        assert not may_act(engineer, own, action)


def test_desk_triages_and_follows_up_but_does_no_field_work(make_user):
    desk = make_user(Role.SERVICE_DESK)
    for action in ("assign", "severity", "contact", "close", "reopen", "cancel", "complaint_answer"):
        assert may_act(desk, Case(), action)
    for action in ("check_in", "start_remote", "resolve", "charges", "sla_policy", "loaners"):
        assert not may_act(desk, Case(), action)


def test_dealer_staff_work_their_cases_but_not_severity_policy_or_closing(make_user):
    staff = make_user(Role.DEALER_STAFF)
    for action in ("assign", "contact", "check_in", "resolve", "charges", "repair_order"):
        assert may_act(staff, Case(), action)
    for action in ("severity", "sla_policy", "close", "reopen", "cancel"):
        assert not may_act(staff, Case(), action)


@pytest.mark.parametrize("role", [Role.CLAIMS_REVIEWER, Role.FINANCE])
def test_reviewers_and_finance_only_read(make_user, role):
    assert case_actions(make_user(role), Case()) == frozenset()


def test_roles_add_up(make_user):
    user = make_user(Role.SERVICE_DESK)
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get(name=Role.ENGINEER))
    user = type(user).objects.get(pk=user.pk)
    assert may_act(user, Case(assigned_engineer_id=user.pk), "resolve")
    assert may_act(user, Case(), "assign")
    assert not may_act(user, Case(), "resolve")


def test_who_may_open_a_case(make_user):
    allowed = {Role.ADMIN, Role.SERVICE_DESK, Role.SERVICE_MANAGER, Role.DEALER_STAFF}
    for role in Role:
        assert may_create_case(make_user(role)) == (role in allowed), role


def test_unknown_action_is_a_programming_error(make_user):
    with pytest.raises(KeyError):
        may_act(make_user(Role.ADMIN), Case(), "teleport")


# --- the same rule in the API and the pages -------------------------------------------------------------


def open_case(desk_user, **extra):
    from tickets.services.tickets import ticket_create

    return ticket_create(
        actor=desk_user, channel="phone", reporter_name="王", description="不制冷", severity="major", **extra
    )


def client_for(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_engineer_may_not_work_a_case_assigned_to_someone_else(desk_user, make_user):
    from tickets.services.tickets import ticket_transition

    mine, theirs = make_user(Role.ENGINEER), make_user(Role.ENGINEER)
    ticket = ticket_transition(ticket=open_case(desk_user), action="assign", actor=desk_user, engineer=theirs)
    url = f"/api/v1/tickets/{ticket.pk}/check-in/"
    refused = client_for(mine).post(url, {"version": ticket.version}, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "case_action_forbidden"
    ticket.refresh_from_db()
    assert ticket.work_mode == ""
    assert client_for(theirs).post(url, {"version": ticket.version}, format="json").status_code == 200


def test_api_engineer_may_not_raise_severity_or_reassign_even_on_his_case(desk_user, make_user):
    from tickets.services.tickets import ticket_transition

    engineer = make_user(Role.ENGINEER)
    ticket = ticket_transition(ticket=open_case(desk_user), action="assign", actor=desk_user, engineer=engineer)
    client = client_for(engineer)
    severity = client.post(
        f"/api/v1/tickets/{ticket.pk}/severity/", {"severity": "critical", "version": ticket.version}, format="json"
    )
    reassign = client.post(
        f"/api/v1/tickets/{ticket.pk}/assign/",
        {"engineer": make_user(Role.ENGINEER).username, "version": ticket.version},
        format="json",
    )
    assert severity.status_code == reassign.status_code == 403
    ticket.refresh_from_db()
    assert ticket.severity.code == "major" and ticket.assigned_engineer == engineer


def test_api_dealer_staff_may_not_change_severity_or_policy_of_their_case(desk_user, dealer_user, dealer):
    from tickets.models import SLAPolicy

    ticket = open_case(desk_user, serving_outlet=dealer)
    client = client_for(dealer_user)
    assert (
        client.post(
            f"/api/v1/tickets/{ticket.pk}/severity/", {"severity": "critical", "version": 1}, format="json"
        ).status_code
        == 403
    )
    policy = SLAPolicy.objects.first()
    assert (
        client.post(
            f"/api/v1/tickets/{ticket.pk}/sla-policy/", {"policy": policy.pk, "version": 1}, format="json"
        ).status_code
        == 403
    )
    note = client.post(f"/api/v1/tickets/{ticket.pk}/work-log/", {"kind": "note", "summary": "到店"}, format="json")
    assert note.status_code == 201


@pytest.mark.parametrize("role", [Role.ENGINEER, Role.DEPARTMENT_MANAGER, Role.GENERAL_MANAGER, Role.FINANCE])
def test_api_roles_without_intake_may_not_open_cases(make_user, role):
    from tickets.models import Ticket

    body = {"channel": "phone", "reporter_name": "x", "description": "y", "severity": "minor"}
    response = client_for(make_user(role)).post("/api/v1/tickets/", body, format="json")
    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_api_allowed_actions_are_the_requesters_own(desk_user, make_user):
    ticket = open_case(desk_user)
    desk = client_for(desk_user).get(f"/api/v1/tickets/{ticket.pk}/").json()["allowed_actions"]
    engineer = client_for(make_user(Role.ENGINEER)).get(f"/api/v1/tickets/{ticket.pk}/").json()["allowed_actions"]
    finance = client_for(make_user(Role.FINANCE)).get(f"/api/v1/tickets/{ticket.pk}/").json()["allowed_actions"]
    assert "assign" in desk and "cancel" in desk
    assert engineer == [] and finance == []


def test_page_engineer_sees_no_work_forms_on_anothers_case_and_posts_are_403(client, desk_user, make_user):
    from tickets.services.tickets import ticket_transition

    mine, theirs = make_user(Role.ENGINEER), make_user(Role.ENGINEER)
    ticket = ticket_transition(ticket=open_case(desk_user), action="assign", actor=desk_user, engineer=theirs)
    client.force_login(mine)
    page = client.get(f"/cases/{ticket.pk}/").content.decode()
    assert 'data-action="check_in"' not in page
    assert f"/cases/{ticket.pk}/add/charge/" not in page
    posted = client.post(f"/cases/{ticket.pk}/action/check_in/", {"version": ticket.version})
    assert posted.status_code == 403
    assert client.post(f"/cases/{ticket.pk}/add/worklog/", {"kind": "note", "summary": "x"}).status_code == 403
    client.force_login(theirs)
    page = client.get(f"/cases/{ticket.pk}/").content.decode()
    assert 'data-action="check_in"' in page and f"/cases/{ticket.pk}/add/charge/" in page


def test_page_desk_has_no_check_in_button_and_its_post_is_403(client, desk_user, make_user):
    from tickets.services.tickets import ticket_transition

    ticket = ticket_transition(
        ticket=open_case(desk_user), action="assign", actor=desk_user, engineer=make_user(Role.ENGINEER)
    )
    client.force_login(desk_user)
    page = client.get(f"/cases/{ticket.pk}/").content.decode()
    assert 'data-action="cancel"' in page and 'data-action="check_in"' not in page
    assert client.post(f"/cases/{ticket.pk}/action/check_in/", {"version": ticket.version}).status_code == 403


def test_page_intake_is_closed_to_engineers_like_the_api(client, make_user):
    client.force_login(make_user(Role.ENGINEER))
    assert client.get("/cases/new/").status_code == 403


def test_role_notifications_reach_a_dealers_people_only_for_their_dealers_cases(
    desk_user, make_user, dealer, other_dealer
):
    """An outlet's engineer (engineer role, dealer member) is told of its own dealer's cases, never another's."""
    from datetime import timedelta

    from django.utils import timezone

    from tickets.models import EscalationStep, Notification
    from tickets.services.escalation import sla_sweep
    from warranty.tests.factories import DealerMemberFactory

    ours, theirs, manufacturer = make_user(Role.ENGINEER), make_user(Role.ENGINEER), make_user(Role.ENGINEER)
    DealerMemberFactory(user=ours, dealer=dealer)
    DealerMemberFactory(user=theirs, dealer=other_dealer)
    ticket = open_case(desk_user, serving_outlet=dealer)
    EscalationStep.objects.filter(policy=ticket.sla_policy).update(recipient="role", role=Role.ENGINEER)
    sla_sweep(now=timezone.now() + timedelta(days=30))
    told = set(Notification.objects.filter(ticket=ticket).values_list("recipient_id", flat=True))
    assert ours.pk in told and manufacturer.pk in told
    assert theirs.pk not in told
