from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales.roles import Role
from aftersales.testing import QueryCounter
from tickets.models import Ticket, TicketEvent
from tickets.tests.helpers import act
from warranty.tests.factories import UnitFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/tickets/"


def create(client, **overrides):
    body = {
        "channel": "phone",
        "reporter_name": "王女士",
        "contact_phone": "13800000000",
        "description": "无法开机",
        "severity": "major",
    } | overrides
    return client.post(URL, body, format="json", HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def engineer(make_user):
    return make_user(Role.ENGINEER)


def test_create_returns_case_with_timers(desk_api, car):
    response = create(desk_api, unit=car.serial.lower())
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "new" and body["unit"] == car.serial
    assert {t["metric"] for t in body["timers"]} == {
        "first_response",
        "remote_response",
        "onsite_arrival",
        "resolution",
        "loaner",
    }
    assert all(t["state"] == "running" and t["due_at"] for t in body["timers"])
    assert body["allowed_actions"] == ["assign", "cancel"]


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"severity": "apocalyptic"}, "severity", "unknown_severity"),
        ({"reported_at": (timezone.now() + timedelta(hours=1)).isoformat()}, "reported_at", "reported_in_future"),
        ({"channel": "pigeon"}, "channel", "invalid"),
        ({"unit": "NO-SUCH-UNIT"}, "unit", "invalid"),
        ({"mood": "angry"}, "mood", "invalid"),
    ],
)
def test_create_bad_input_is_400_and_writes_nothing(desk_api, overrides, field, code):
    response = create(desk_api, **overrides)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert field in response.json()["details"]
    assert not Ticket.objects.exists()
    assert not TicketEvent.objects.exists()


def test_invalid_transition_is_409_with_allowed_actions_and_changes_nothing(manager_api):
    ticket = create(manager_api).json()
    response = act(manager_api, ticket["id"], "resolve", {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert response.json()["details"]["allowed"] == ["assign", "cancel"]
    assert "assign" in response.json()["message"]
    assert Ticket.objects.get().status == "new"
    assert TicketEvent.objects.count() == 1


def test_second_check_in_is_409(manager_api, engineer):
    ticket = create(manager_api).json()
    act(manager_api, ticket["id"], "assign", {"engineer": engineer.username}, format="json")
    assert act(manager_api, ticket["id"], "check-in", {}, format="json").status_code == 200
    second = act(manager_api, ticket["id"], "check-in", {}, format="json")
    assert second.status_code == 409
    assert second.json()["code"] == "already_checked_in"
    assert TicketEvent.objects.filter(kind="check_in").count() == 1


def test_stale_version_is_412(desk_api, engineer):
    ticket = create(desk_api).json()
    first = act(desk_api, ticket["id"], "assign", {"engineer": engineer.username, "version": 1}, format="json")
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = act(desk_api, ticket["id"], "cancel", {"version": 1}, format="json")
    assert stale.status_code == 412
    assert Ticket.objects.get().status == "assigned"


def test_assign_requires_an_engineer(desk_api, make_user):
    ticket = create(desk_api).json()
    response = act(desk_api, ticket["id"], "assign", {"engineer": make_user(Role.FINANCE).username}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "engineer_required"


def test_events_endpoint_lists_history_in_order(desk_api, engineer):
    ticket = create(desk_api).json()
    act(desk_api, ticket["id"], "assign", {"engineer": engineer.username}, format="json")
    act(desk_api, ticket["id"], "contact", {"note": "已电话联系"}, format="json")
    events = desk_api.get(f"{URL}{ticket['id']}/events/").json()["results"]
    assert [(e["kind"], e["to_state"]) for e in events] == [
        ("created", "new"),
        ("assign", "assigned"),
        ("contact", "in_progress"),
    ]
    assert events[2]["data"]["note"] == "已电话联系"
    assert events[2]["data"]["met"] == ["first_response"]


def test_list_filters_by_status_and_sla_state(desk_api, engineer):
    first = create(desk_api).json()
    create(desk_api, severity="minor")
    act(desk_api, first["id"], "assign", {"engineer": engineer.username}, format="json")
    assert [t["id"] for t in desk_api.get(URL, {"status": "assigned"}).json()["results"]] == [first["id"]]
    assert len(desk_api.get(URL, {"severity": "minor"}).json()["results"]) == 1
    assert len(desk_api.get(URL, {"engineer": engineer.username}).json()["results"]) == 1
    soon = (timezone.now() + timedelta(minutes=45)).isoformat()
    assert len(desk_api.get(URL, {"due_before": soon}).json()["results"]) == 1  # major: 30 min; minor: 60 min
    assert desk_api.get(URL, {"sla_state": "breached"}).json()["results"] == []


def test_list_query_count_is_the_same_for_5_and_50_cases(desk_api, desk_user):
    from tickets.services.tickets import ticket_create

    def make(count):
        for _ in range(count):
            ticket_create(
                actor=desk_user,
                channel="phone",
                reporter_name="x",
                description="y",
                severity="minor",
                unit=UnitFactory(),
            )

    def count_list():
        # As on a real request, where the user (its roles and scope) is loaded afresh.
        desk_user.__dict__.pop("_roles", None)
        desk_user.__dict__.pop("_viewer_scope", None)
        desk_user.__dict__.pop("_dealer_id", None)
        with QueryCounter() as queries:
            response = desk_api.get(URL, {"page_size": 100})
        assert response.status_code == 200
        return queries.count, len(response.json()["results"])

    make(5)
    few = count_list()
    make(45)
    many = count_list()
    assert (few[1], many[1]) == (5, 50)
    assert few[0] == many[0]


def test_create_and_detail_query_counts_do_not_depend_on_history(desk_api, desk_user, car, engineer):
    from warranty.tests.factories import RepairFactory

    desk_api.get(URL)  # the user's roles and scope are read once per user object, as on any request
    create(desk_api, unit=car.serial)  # the policies' details and versions, read once per process and stamp
    with QueryCounter() as short:
        first = create(desk_api, unit=car.serial).json()
    for _ in range(30):
        RepairFactory(unit=car)
    with QueryCounter() as long:
        second = create(desk_api, unit=car.serial).json()
    assert short.count == long.count
    with QueryCounter() as detail_one:
        assert desk_api.get(f"{URL}{first['id']}/").status_code == 200
    for action in ("assign", "contact", "wait-customer", "resume"):
        desk_api.post(
            f"{URL}{second['id']}/{action}/",
            {"engineer": engineer.username} if action == "assign" else {},
            format="json",
        )
    with QueryCounter() as detail_two:
        assert desk_api.get(f"{URL}{second['id']}/").status_code == 200
    assert detail_one.count == detail_two.count


def test_dealer_sees_only_cases_of_own_outlet_or_units(
    api_client, desk_user, dealer_user, dealer, other_dealer, car_model
):
    from tickets.services.tickets import ticket_create

    own = ticket_create(
        actor=desk_user, channel="dealer", reporter_name="x", description="y", severity="minor", serving_outlet=dealer
    )
    sold = ticket_create(
        actor=desk_user,
        channel="phone",
        reporter_name="x",
        description="y",
        severity="minor",
        unit=UnitFactory(product_model=car_model, selling_dealer=dealer),
    )
    theirs = ticket_create(
        actor=desk_user,
        channel="dealer",
        reporter_name="x",
        description="y",
        severity="minor",
        serving_outlet=other_dealer,
    )
    api_client.force_authenticate(dealer_user)
    ids = {t["id"] for t in api_client.get(URL).json()["results"]}
    assert ids == {own.pk, sold.pk}
    assert api_client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert act(api_client, theirs.pk, "cancel", {}, format="json").status_code == 404


def test_severity_change_refuses_fields_it_would_drop(desk_api):
    ticket = create(desk_api).json()
    response = act(desk_api, ticket["id"], "severity", {"severity": "critical", "note": "x"}, format="json")
    assert response.status_code == 400
    assert "note" in response.json()["details"]
    ok = act(desk_api, ticket["id"], "severity", {"severity": "critical"}, format="json")
    assert ok.json()["severity"] == "critical"


def test_list_pages_by_cursor_newest_first_without_long_fields(desk_api, desk_user, engineer):
    from tickets.services.tickets import ticket_create

    base = timezone.now() - timedelta(hours=1)
    made = [
        ticket_create(
            actor=desk_user,
            channel="phone",
            reporter_name="x",
            description="长描述" * 50,
            severity="minor",
            reported_at=base + timedelta(minutes=index // 2),  # pairs reported at the same time
        )
        for index in range(7)
    ]
    seen, url, pages = [], URL, 0
    while url:
        body = desk_api.get(url, {"page_size": 3} if url == URL else None).json()
        assert set(body) == {"next", "previous", "results"}  # no count: nothing scans every case
        seen += [row["id"] for row in body["results"]]
        url, pages = body["next"], pages + 1
    newest_first = sorted(made, key=lambda t: (t.reported_at, t.pk), reverse=True)
    assert seen == [t.pk for t in newest_first] and pages == 3
    row = desk_api.get(URL).json()["results"][0]
    assert "description" not in row and "coverage_snapshot" not in row
    assert {"number", "status", "timers", "allowed_actions", "version"} <= set(row)
    detail = desk_api.get(f"{URL}{made[0].pk}/").json()
    assert detail["description"].startswith("长描述") and "coverage_snapshot" in detail


def test_list_status_takes_several_values_without_repeating_a_case(desk_api, engineer):
    first = create(desk_api).json()
    second = create(desk_api).json()
    create(desk_api)
    act(desk_api, first["id"], "assign", {"engineer": engineer.username}, format="json")
    act(desk_api, second["id"], "cancel", format="json")
    ids = [t["id"] for t in desk_api.get(f"{URL}?status=assigned&status=cancelled").json()["results"]]
    assert sorted(ids) == sorted([first["id"], second["id"]])
