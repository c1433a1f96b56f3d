"""The engineer's day page lists the first cases by deadline and links to all of them (an engineer with
thousands of open cases is read by index, a page at a time)."""

import pytest

from aftersales.roles import Role
from tickets import views
from tickets.services.tickets import ticket_create, ticket_transition

pytestmark = pytest.mark.django_db


def test_today_shows_the_first_cases_and_links_to_my_cases(client, desk_user, make_user, monkeypatch):
    monkeypatch.setattr(views, "TODAY_CASES", 3)
    engineer = make_user(Role.ENGINEER)
    for _ in range(4):
        ticket = ticket_create(actor=desk_user, channel="phone", reporter_name="x", description="y", severity="minor")
        ticket_transition(ticket=ticket, action="assign", actor=desk_user, engineer=engineer)
    client.force_login(engineer)
    page = client.get("/cases/today/")
    assert len(page.context["entries"]) == 3
    assert 'data-testid="more-cases"' in page.content.decode()
    monkeypatch.setattr(views, "TODAY_CASES", 4)
    page = client.get("/cases/today/")
    assert len(page.context["entries"]) == 4
    assert 'data-testid="more-cases"' not in page.content.decode()
