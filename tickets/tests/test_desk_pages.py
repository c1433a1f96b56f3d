"""Friendly error pages everywhere, and the visit calendar's month grid on the demo data."""

import os

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from aftersales.models import User
from aftersales.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    settings.DEBUG = False


@pytest.mark.parametrize("path", ["/cases/999999/", "/cases/visits/999999/", "/claims/999999/", "/nowhere/"])
def test_a_missing_page_is_the_products_404_in_debug_too(client, make_user, path):
    client.force_login(make_user("service_manager"))
    with override_settings(DEBUG=True):
        response = client.get(path)
    assert response.status_code == 404
    assert "404.html" in [template.name for template in response.templates]
    assert "Technical" not in response.content.decode()


def test_the_api_keeps_its_json_404(client, make_user):
    client.force_login(make_user("service_manager"))
    with override_settings(DEBUG=True):
        response = client.get("/api/v1/tickets/999999/")
    assert response.status_code == 404
    assert response.json()["code"]


def test_the_500_page_speaks_the_users_language(rf):
    from django.utils import translation

    from aftersales.urls import handler500

    with translation.override("en"):
        request = rf.get("/cases/")
        english = handler500(request).content.decode()
    with translation.override("zh-hans"):
        chinese = handler500(rf.get("/cases/")).content.decode()
    assert "Something went wrong" in english and "出错了" not in english
    assert "出错了" in chinese


@pytest.mark.parametrize("username", ["desk", "engineer", "svcmgr"])
def test_visit_calendar_month_grid_shows_the_demo_contracts_visits(demo, client, username):
    client.force_login(User.objects.get(username=username))
    response = client.get("/cases/visits/", {"when": "month"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="visit-month"' in page
    today = timezone.localdate()
    assert f'data-date="{today:%Y-%m-%d}"' in page
    assert "华东数据中心" in page  # the customer of contract HT-2026-0018
    weeks = response.context["weeks"]
    assert all(len(week) == 7 for week in weeks) and weeks[0][0]["date"].weekday() == 0
    listed = client.get("/cases/visits/", {"when": "week"}).content.decode()
    assert "华东数据中心" in listed


def test_queue_refresh_by_polling_sends_the_rows_without_filling_the_pickers(client, desk_user, make_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tickets.services.tickets import ticket_create

    make_user(Role.ENGINEER, first_name="轮询", last_name="工")
    ticket = ticket_create(actor=desk_user, channel="phone", reporter_name="x", description="y", severity="minor")
    client.force_login(desk_user)
    with CaptureQueriesContext(connection) as full:
        page = client.get("/cases/").content.decode()
    with CaptureQueriesContext(connection) as polled:
        refresh = client.get("/cases/", HTTP_HX_REQUEST="true").content.decode()
    assert ticket.number in page and ticket.number in refresh
    assert "轮询" in page  # the engineer picker lists the engineer
    assert "轮询" not in refresh
    assert len(polled) < len(full)
