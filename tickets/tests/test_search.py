"""The header search and the queue's ``q``: cases, units and customers in one place, scoped, on indexes."""

import os

import pytest
from django.core.management import call_command
from django.db import connection

from aftersales.models import User
from tickets import search
from tickets.models import Ticket
from tickets.services.tickets import ticket_create
from warranty.models import Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    settings.DEBUG = False
    unit = Unit.objects.get(serial="LSVE5000000000002")  # 王芳's car
    desk = User.objects.get(username="desk")
    return ticket_create(
        actor=desk,
        channel="phone",
        reporter_name="王芳",
        contact_phone=unit.customer.phone,
        description="空调不制冷",
        severity="major",
        unit=unit,
    )


def test_queue_q_filters_by_customer_name(demo, client):
    client.force_login(User.objects.get(username="desk"))
    everything = client.get("/cases/")
    assert everything.status_code == 200
    assert Ticket.objects.count() > 2
    found = client.get("/cases/", {"q": "王芳"})
    numbers = [row["number"] for row in found.context["entries"]]
    assert numbers == [demo.number]


def test_header_search_finds_case_unit_and_customer_in_one_place(demo, client):
    client.force_login(User.objects.get(username="desk"))
    by_name = client.get("/search/", {"q": "王芳"}).context["found"]
    assert [t.number for t in by_name["cases"]] == [demo.number]
    assert "LSVE5000000000002" in [u.serial for u in by_name["units"]]
    assert [c.name for c in by_name["customers"]] == ["王芳"]
    by_serial = client.get("/search/", {"q": "lsve500000000000"}).context["found"]
    assert len(by_serial["units"]) >= 4
    by_number = client.get("/search/", {"q": demo.number[:8].lower()}).context["found"]
    assert demo.number in [t.number for t in by_number["cases"]]
    by_phone = client.get("/search/", {"q": "1390013"}).context["found"]
    assert [c.name for c in by_phone["customers"]] == ["王芳"]
    page = client.get("/search/", {"q": "王芳"}).content.decode()
    assert demo.number in page and "LSVE5000000000002" in page


def test_a_dealer_finds_only_its_own(demo, client):
    client.force_login(User.objects.get(username="dealer"))  # the demo dealer D-BJ-001
    found = client.get("/search/", {"q": "陈静"}).context["found"]  # a D-GZ-003 customer
    assert found == {"cases": [], "units": [], "customers": []}
    assert client.get("/search/", {"q": "TV55U"}).context["found"]["units"] == []


def test_invalid_queue_filters_are_reported(demo, client):
    client.force_login(User.objects.get(username="desk"))
    response = client.get("/cases/", {"status": "bogus", "severity": "nonsense", "due_before": "yesterday"})
    page = response.content.decode()
    assert 'data-testid="filter-errors"' in page
    errors = response.context["filter"].form.errors
    assert set(errors) == {"status", "severity", "due_before"}


def test_search_is_served_by_indexes():
    """Trigram indexes where the server offers pg_trgm, prefix (text_pattern_ops) indexes otherwise."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE ANY (ARRAY['%%_trgm', '%%_prefix'])")
        names = {row[0] for row in cursor.fetchall()}
    assert {"ticket_number_prefix", "unit_serial_prefix"} <= names
    if search.trigram_available():
        assert {"customer_name_trgm", "ticket_reporter_trgm"} <= names
    else:
        assert {"customer_name_prefix", "ticket_reporter_prefix"} <= names
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN SELECT id FROM warranty_unit WHERE serial LIKE 'LSVE5%%'")
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "Index" in plan and "Seq Scan" not in plan, plan


def test_queue_filters_are_widgets_with_the_users_choices(demo, client):
    client.force_login(User.objects.get(username="dealer"))
    page = client.get("/cases/").content.decode()
    assert 'data-testid="status-chips"' in page and 'type="datetime-local"' in page
    choices = client.get("/cases/").context["choices"]
    assert ("engineer", "王建国") not in choices["engineers"]  # the manufacturer's engineer is not the dealer's
    assert [code for code, _name in choices["outlets"]] == ["D-BJ-001"]
    client.force_login(User.objects.get(username="desk"))
    choices = client.get("/cases/").context["choices"]
    assert ("engineer", "王建国") in choices["engineers"]
    assert {"critical", "major", "minor"} <= {code for code, _label in choices["severities"]}


def test_a_user_saves_and_deletes_a_named_filter_view(demo, client):
    from tickets.models import SavedQueueView

    desk = User.objects.get(username="desk")
    client.force_login(desk)
    response = client.post("/cases/views/", {"name": "王芳的工单", "query": "q=王芳&status=new&page=3&evil=1"})
    assert response.status_code == 302
    view = SavedQueueView.objects.get(user=desk)
    assert view.name == "王芳的工单" and "page" not in view.query and "evil" not in view.query
    page = client.get("/cases/").content.decode()
    assert "王芳的工单" in page and view.query.replace("&", "&amp;") in page
    listed = client.get(f"/cases/?{view.query}").context["entries"]
    assert [row["number"] for row in listed] == [demo.number]
    # Another user neither sees nor deletes it.
    client.force_login(User.objects.get(username="svcmgr"))
    assert "王芳的工单" not in client.get("/cases/").content.decode()
    client.post("/cases/views/", {"delete": view.pk})
    assert SavedQueueView.objects.filter(pk=view.pk).exists()
    client.force_login(desk)
    client.post("/cases/views/", {"delete": view.pk})
    assert not SavedQueueView.objects.filter(pk=view.pk).exists()
