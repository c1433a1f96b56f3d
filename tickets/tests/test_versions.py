"""Every change of a case carries the version the client read: none is 400, a stale one 412, so concurrent
edits are detected, never silently both applied."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from aftersales.roles import Role
from tickets.api.views import FollowUpViewSet, TicketViewSet
from tickets.models import Ticket
from tickets.tests.factories import CaseFactory

URL = "/api/v1/tickets/"
# POSTs that add to a case without changing it (notes, files, part lines) need no version.
ADDS_ONLY = {"attachments", "work-log", "charges"}


def post_actions(viewset) -> list[str]:
    return sorted(
        action.url_path
        for action in viewset.get_extra_actions()
        if "post" in action.mapping and action.url_path not in ADDS_ONLY
    )


@pytest.mark.django_db
@pytest.mark.parametrize("path", post_actions(TicketViewSet))
def test_api_case_change_without_version_is_400(manager_api, desk_user, path):
    ticket = CaseFactory(actor=desk_user)
    response = manager_api.post(f"{URL}{ticket.pk}/{path}/", {}, format="json")
    assert response.status_code == 400, response.json()
    assert "version" in response.json()["details"]
    assert Ticket.objects.get(pk=ticket.pk).version == ticket.version


@pytest.mark.django_db
@pytest.mark.parametrize("path", post_actions(FollowUpViewSet))
def test_api_followup_change_without_version_is_400(manager_api, desk_user, make_user, path):
    from tickets.services.tickets import ticket_transition

    engineer = make_user(Role.ENGINEER)
    ticket = CaseFactory(actor=desk_user)
    for action in ("assign", "contact", "resolve"):
        ticket = ticket_transition(ticket=ticket, action=action, actor=desk_user, engineer=engineer)
    body = {"attitude": 5, "quality": 5, "solved": 5, "runs_normally": True}
    response = manager_api.post(f"/api/v1/followups/{ticket.followups.get().pk}/{path}/", body, format="json")
    assert response.status_code == 400 and "version" in response.json()["details"]


@pytest.mark.django_db
def test_api_stale_version_is_412_and_changes_nothing(manager_api, desk_user):
    ticket = CaseFactory(actor=desk_user)
    response = manager_api.post(
        f"{URL}{ticket.pk}/escalate/", {"plan": "x", "version": ticket.version + 1}, format="json"
    )
    assert response.status_code == 412 and response.json()["code"] == "stale_version"
    assert Ticket.objects.get(pk=ticket.pk).emergency_plan == ""


def concurrently(count: int, request) -> list[int]:
    """Send ``count`` requests at once from their own threads (each with its own connection)."""
    start = threading.Barrier(count)
    statuses: list[int] = []

    def run():
        try:
            start.wait()
            statuses.append(request().status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


@pytest.mark.django_db(transaction=True)
def test_api_concurrent_changes_without_version_all_400(desk_user, make_user):
    ticket = CaseFactory(actor=desk_user, severity="minor")
    engineer = make_user(Role.ENGINEER)

    def assign():
        client = APIClient()
        client.force_authenticate(desk_user)
        return client.post(f"{URL}{ticket.pk}/assign/", {"engineer": engineer.username}, format="json")

    assert concurrently(10, assign) == [400] * 10
    assert Ticket.objects.get(pk=ticket.pk).version == 1
    assert not ticket.events.filter(kind="assign").exists()


@pytest.mark.django_db(transaction=True)
def test_api_concurrent_changes_of_one_version_one_wins_the_rest_412(desk_user):
    ticket = CaseFactory(actor=desk_user, severity="minor")

    def change_severity():
        client = APIClient()
        client.force_authenticate(desk_user)
        return client.post(f"{URL}{ticket.pk}/severity/", {"severity": "major", "version": 1}, format="json")

    assert concurrently(10, change_severity) == [200] + [412] * 9
    assert Ticket.objects.get(pk=ticket.pk).version == 2
    assert ticket.events.filter(kind="severity_changed").count() == 1


@pytest.mark.django_db
def test_page_form_stale_version_says_so_and_changes_nothing(client, desk_user, manager_user):
    ticket = CaseFactory(actor=desk_user)
    manager_user.language = "en"
    manager_user.save()
    client.force_login(manager_user)
    stale = client.post(f"/cases/{ticket.pk}/add/escalate/", {"plan": "x", "version": 99}, follow=True)
    assert "Someone else changed this case meanwhile" in stale.content.decode()
    missing = client.post(f"/cases/{ticket.pk}/action/cancel/", {}, follow=True)
    assert "This page is out of date" in missing.content.decode()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.emergency_plan, ticket.version) == ("new", "", 1)
    # The page's own forms carry the version, so they go through.
    page = client.get(f"/cases/{ticket.pk}/").content.decode()
    assert page.count(f'name="version" value="{ticket.version}"') >= 4
    client.post(f"/cases/{ticket.pk}/action/cancel/", {"version": ticket.version})
    assert Ticket.objects.get(pk=ticket.pk).status == "cancelled"
