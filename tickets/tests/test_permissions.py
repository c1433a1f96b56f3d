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
