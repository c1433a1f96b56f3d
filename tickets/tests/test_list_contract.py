"""The case list's JSON, pinned field by field: names, order, types, formats (times in the requester's own
time zone, "Z" for UTC), nulls, links and the bytes on the wire, for a desk user and a dealer's user, on
cases with and without a unit, customer, engineer, outlet and stopped timers. The list is written without
the detail's serializer, so this is what keeps the two the same contract."""

import json
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from aftersales.roles import Role
from aftersales.testing import QueryCounter
from tickets.models import Ticket, Timer
from tickets.services.tickets import ticket_create, ticket_transition

pytestmark = pytest.mark.django_db
URL = "/api/v1/tickets/"

ROW_FIELDS = [
    "id",
    "number",
    "channel",
    "status",
    "work_mode",
    "reporter_name",
    "contact_phone",
    "customer",
    "unit",
    "severity",
    "category",
    "coverage_policy_version",
    "distance_km",
    "assigned_engineer",
    "serving_outlet",
    "sla_policy",
    "reported_at",
    "created_at",
    "resolved_at",
    "closed_at",
    "version",
    "timers",
    "allowed_actions",
]
# The request's own transaction inside the test's (ATOMIC_REQUESTS): a savepoint and its release.
SAVEPOINTS = 2
TIMER_FIELDS = [
    "metric",
    "target_minutes",
    "due_at",
    "state",
    "met_at",
    "breached_at",
    "stopped_at",
    "business_minutes",
    "breach_minutes",
]


def sign_in(client, user):
    """Token authentication, as API clients sign in: the user's own time zone applies."""
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")


def shown(value: datetime | None, zone: str) -> str | None:
    """A time as the API writes it: ISO 8601 in the requester's zone, microseconds kept, UTC as "Z"."""
    if value is None:
        return None
    text = value.astimezone(zoneinfo.ZoneInfo(zone)).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


@pytest.fixture
def cases(desk_user, make_user, dealer, other_dealer, car):
    """Four cases of different shapes, reported a minute apart (newest last)."""
    engineer = make_user(Role.ENGINEER, username="gong")
    base = timezone.now().replace(microsecond=123456) - timedelta(hours=2)
    sold = ticket_create(
        actor=desk_user,
        channel="phone",
        reporter_name="王先生",
        contact_phone="13900000001",
        description="发动机异响",
        severity="major",
        category="engine",
        unit=car,
        distance_km=35,
        reported_at=base,
    )
    ticket_transition(ticket=sold, action="assign", actor=desk_user, engineer=engineer)
    bare = ticket_create(
        actor=desk_user,
        channel="dealer",
        reporter_name="李",
        description="x",
        severity="minor",
        serving_outlet=dealer,
        reported_at=base + timedelta(minutes=1),
    )
    # A case that went all the way: resolved and closed times, stopped and met timers (set directly: the
    # list shows what is stored, whichever service wrote it).
    done = ticket_create(
        actor=desk_user,
        channel="phone",
        reporter_name="赵",
        description="x",
        severity="critical",
        reported_at=base + timedelta(minutes=2),
    )
    resolved_at = datetime(2026, 3, 1, 23, 30, 5, 7, tzinfo=UTC)
    Ticket.objects.filter(pk=done.pk).update(
        status=Ticket.Status.CLOSED, resolved_at=resolved_at, closed_at=resolved_at + timedelta(hours=5)
    )
    first, *others = Timer.objects.filter(ticket=done).order_by("id")
    Timer.objects.filter(pk=first.pk).update(
        state=Timer.State.MET, met_at=resolved_at, stopped_at=resolved_at, business_minutes=42, breach_minutes=None
    )
    for timer in others:
        Timer.objects.filter(pk=timer.pk).update(
            state=Timer.State.BREACHED,
            breached_at=resolved_at,
            stopped_at=resolved_at + timedelta(minutes=1),
            due_at=None,
            business_minutes=600,
            breach_minutes=17,
        )
    theirs = ticket_create(
        actor=desk_user,
        channel="dealer",
        reporter_name="钱",
        description="x",
        severity="minor",
        serving_outlet=other_dealer,
        reported_at=base + timedelta(minutes=3),
    )
    return {"sold": sold, "bare": bare, "done": done, "theirs": theirs, "engineer": engineer}


def expected_row(ticket: Ticket, zone: str, allowed: list[str]) -> dict:
    ticket = Ticket.objects.select_related(
        "customer", "unit", "severity", "assigned_engineer", "serving_outlet", "sla_policy"
    ).get(pk=ticket.pk)
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "channel": ticket.channel,
        "status": ticket.status,
        "work_mode": ticket.work_mode,
        "reporter_name": ticket.reporter_name,
        "contact_phone": ticket.contact_phone,
        "customer": ticket.customer.name if ticket.customer else None,
        "unit": ticket.unit.serial if ticket.unit else None,
        "severity": ticket.severity.code,
        "category": ticket.category,
        "coverage_policy_version": ticket.coverage_policy_version_id,
        "distance_km": ticket.distance_km,
        "assigned_engineer": ticket.assigned_engineer.username if ticket.assigned_engineer else None,
        "serving_outlet": ticket.serving_outlet.code if ticket.serving_outlet else None,
        "sla_policy": f"{ticket.sla_policy.code} v{ticket.sla_policy.version}" if ticket.sla_policy else None,
        "reported_at": shown(ticket.reported_at, zone),
        "created_at": shown(ticket.created_at, zone),
        "resolved_at": shown(ticket.resolved_at, zone),
        "closed_at": shown(ticket.closed_at, zone),
        "version": ticket.version,
        "timers": [
            {
                "metric": timer.metric.code,
                "target_minutes": timer.target_minutes,
                "due_at": shown(timer.due_at, zone),
                "state": timer.state,
                "met_at": shown(timer.met_at, zone),
                "breached_at": shown(timer.breached_at, zone),
                "stopped_at": shown(timer.stopped_at, zone),
                "business_minutes": timer.business_minutes,
                "breach_minutes": timer.breach_minutes,
            }
            for timer in ticket.timers.select_related("metric").order_by("id")
        ],
        "allowed_actions": allowed,
    }


def test_list_json_for_desk_user_field_by_field(api_client, desk_user, cases):
    desk_user.time_zone = "UTC"  # times end in "Z"
    desk_user.save(update_fields=["time_zone"])
    sign_in(api_client, desk_user)
    response = api_client.get(URL, {"page_size": 3}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["next", "previous", "results"]
    assert body["previous"] is None
    assert body["next"].startswith("http://testserver/api/v1/tickets/?cursor=") and "page_size=3" in body["next"]
    rows = body["results"]
    for row in rows:
        assert list(row) == ROW_FIELDS
        for timer in row["timers"]:
            assert list(timer) == TIMER_FIELDS
    desk_new = ["assign", "cancel"]
    assert rows == [
        expected_row(cases["theirs"], "UTC", desk_new),
        expected_row(cases["done"], "UTC", ["reopen"]),
        expected_row(cases["bare"], "UTC", desk_new),
    ]
    done = rows[1]
    assert done["resolved_at"] == "2026-03-01T23:30:05.000007Z"
    assert done["closed_at"] == "2026-03-02T04:30:05.000007Z"
    assert done["timers"][0]["met_at"] == "2026-03-01T23:30:05.000007Z"
    assert done["timers"][0]["business_minutes"] == 42 and done["timers"][0]["breach_minutes"] is None
    assert all(timer["due_at"] is None and timer["breach_minutes"] == 17 for timer in done["timers"][1:])
    assert rows[2]["customer"] is None and rows[2]["unit"] is None and rows[2]["assigned_engineer"] is None
    assert rows[2]["serving_outlet"] == cases["bare"].serving_outlet.code
    assert rows[0]["reported_at"].endswith(".123456Z")
    # The bytes: compact UTF-8 JSON, Chinese unescaped.
    assert response.content == json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    assert "赵".encode() in response.content

    following = api_client.get(body["next"], HTTP_ACCEPT="application/json").json()
    assert following["next"] is None
    assert following["previous"].startswith("http://testserver/api/v1/tickets/?cursor=")
    sold = following["results"]
    assert sold == [expected_row(cases["sold"], "UTC", ["assign", "contact", "wait_customer", "cancel"])]
    assert sold[0]["unit"] == cases["sold"].unit.serial and sold[0]["assigned_engineer"] == "gong"
    assert sold[0]["distance_km"] == 35 and sold[0]["category"] == "engine"
    assert isinstance(sold[0]["coverage_policy_version"], int)
    assert sold[0]["customer"] == cases["sold"].unit.customer.name


def test_list_json_for_dealer_user_in_own_time_zone(api_client, dealer_user, cases):
    dealer_user.time_zone = "America/New_York"
    dealer_user.save(update_fields=["time_zone"])
    sign_in(api_client, dealer_user)
    rows = api_client.get(URL, HTTP_ACCEPT="application/json").json()["results"]
    # Its outlet's case and the case on a unit it sold; not the other dealer's, nor the desk's own.
    assert rows == [
        expected_row(cases["bare"], "America/New_York", ["assign"]),
        expected_row(
            cases["sold"], "America/New_York", ["assign", "contact", "start_remote", "check_in", "wait_customer"]
        ),
    ]
    assert rows[0]["reported_at"][-6:] in ("-05:00", "-04:00")


def test_list_actions_follow_the_requesters_own_cases(api_client, cases):
    engineer = cases["engineer"]
    sign_in(api_client, engineer)
    rows = {row["id"]: row for row in api_client.get(URL, HTTP_ACCEPT="application/json").json()["results"]}
    # An engineer acts on his own cases only; the status allows the rest of what the desk may do.
    assert rows[cases["sold"].pk]["allowed_actions"] == ["contact", "start_remote", "check_in", "wait_customer"]
    assert rows[cases["bare"].pk]["allowed_actions"] == []
    assert rows[cases["done"].pk]["allowed_actions"] == []


def test_list_statements_do_not_grow_with_rows(api_client, desk_user, dealer_user, cases, dealer, car):
    """Pages of every shape of row (unit, customer, engineer, outlet, stopped timers) in a fixed number."""
    counts = {}
    for user in (desk_user, dealer_user):
        sign_in(api_client, user)
        api_client.get(URL)
        with QueryCounter() as counter:
            assert len(api_client.get(URL).json()["results"]) >= 2
        counts[user.username] = counter.count
    for _number in range(3):
        more = ticket_create(
            actor=desk_user,
            channel="dealer",
            reporter_name="x",
            description="y",
            severity="minor",
            unit=car,
            serving_outlet=dealer,
        )
        ticket_transition(ticket=more, action="assign", actor=desk_user, engineer=cases["engineer"])
    for user in (desk_user, dealer_user):
        sign_in(api_client, user)
        with QueryCounter() as counter:
            assert len(api_client.get(URL).json()["results"]) >= 5
        assert counter.count == counts[user.username]
    # The token with its user and the requester's dealer and roles, the page: a page is one statement.
    assert counts == {desk_user.username: 2 + SAVEPOINTS, dealer_user.username: 2 + SAVEPOINTS}


def test_province_filter_reads_the_province_the_case_was_opened_in(api_client, desk_user):
    from warranty.models import Site
    from warranty.tests.factories import CustomerFactory

    def case_in(province):
        customer = CustomerFactory()
        site = Site.objects.create(customer=customer, name="站", address="路 1 号", province=province)
        return ticket_create(
            actor=desk_user, channel="phone", reporter_name="x", description="y", severity="minor", site=site
        )

    beijing, shanghai = case_in("北京"), case_in("上海")
    nowhere = ticket_create(actor=desk_user, channel="phone", reporter_name="x", description="y", severity="minor")
    assert (beijing.province, shanghai.province, nowhere.province) == ("北京", "上海", "")
    sign_in(api_client, desk_user)
    rows = api_client.get(URL, {"province": "北京"}).json()["results"]
    assert [row["id"] for row in rows] == [beijing.pk]
    assert api_client.get(URL, {"province": "西藏"}).json()["results"] == []


def test_filtered_list_names_the_same_relations(api_client, desk_user, cases):
    """Filters that join the tables the row names (engineer, outlet, severity) change nothing in a row."""
    sign_in(api_client, desk_user)
    sold = cases["sold"]
    query = {"engineer": "gong", "severity": "major", "unit": sold.unit.serial}
    assert api_client.get(URL, query).json()["results"] == [
        expected_row(sold, "Asia/Shanghai", ["assign", "contact", "wait_customer", "cancel"])
    ]
    bare = cases["bare"]
    rows = api_client.get(URL, {"outlet": bare.serving_outlet.code, "severity": "minor"}).json()["results"]
    assert rows == [expected_row(bare, "Asia/Shanghai", ["assign", "cancel"])]
