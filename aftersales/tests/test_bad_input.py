"""No bad input gives a 500: each reproduction from the security review answers 400 / 404 with a stable code."""

import pytest

from aftersales.roles import Role
from tickets.api.views import TicketViewSet
from warranty.tests.conftest import car, car_model, car_policy, dealer  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_api(api_client, make_user):
    api_client.force_authenticate(make_user(Role.ADMIN, language="en"))
    return api_client


def ticket_detail_routes() -> list[tuple[str, str]]:
    """Every ``/tickets/{id}/…`` route with one of its methods, from the viewset itself."""
    routes = [("", "get")]
    for action in TicketViewSet.get_extra_actions():
        if action.detail:
            routes.append((f"{action.url_path}/", sorted(action.mapping)[0]))
    return routes


@pytest.mark.parametrize(("suffix", "method"), ticket_detail_routes())
@pytest.mark.parametrize("bad_id", ["abc", "1.5", "-1", "99999999999999999999"])
def test_ticket_routes_with_a_non_integer_or_huge_id_are_404(admin_api, suffix, method, bad_id):
    response = getattr(admin_api, method)(f"/api/v1/tickets/{bad_id}/{suffix}", {}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_ticket_distance_beyond_the_column_is_400(desk_api):
    body = {"channel": "phone", "reporter_name": "x", "description": "y", "severity": "major"}
    response = desk_api.post("/api/v1/tickets/", {**body, "distance_km": 2147483648}, format="json")
    assert response.status_code == 400
    assert "distance_km" in response.json()["details"]


@pytest.mark.parametrize("reading", [1e20, 2147483648, "1e20", 10**30])
def test_unit_usage_reading_beyond_the_column_is_400(admin_api, car, reading):  # noqa: F811
    response = admin_api.patch(
        f"/api/v1/units/{car.serial}/", {"version": car.version, "usage_reading": reading}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "usage_reading" in response.json()["details"]
    car.refresh_from_db()
    assert car.usage_reading == 12000


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/tickets/", {"channel": "phone", "reporter_name": "a\x00b", "description": "y", "severity": "major"}),
        ("/api/v1/tickets/", {"channel": "phone", "reporter_name": "x", "description": "y\x00", "severity": "major"}),
        ("/api/v1/sla/preview/", {"severity": "major", "start": "2026-01-05T09:00:00+08:00", "province": "\x00"}),
        (
            "/api/v1/entitlement/evaluate/",
            {
                "regime": "car_2021",
                "invoice_date": "2026-01-01",
                "claim_date": "2026-02-01",
                "fault": {"problem_code": "a\x00"},
            },
        ),
    ],
)
def test_nul_character_in_a_json_text_field_is_400(admin_api, path, body):
    response = admin_api.post(path, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "nul_character"


def test_nul_character_nested_in_a_json_dict_field_is_400(admin_api, car):  # noqa: F811
    body = {"confirmed_at": "2026-06-02T09:00:00+08:00", "replaced_parts": [{"part": "pump", "note": "a\x00b"}]}
    response = admin_api.post(f"/api/v1/units/{car.serial}/repairs/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "nul_character"
    assert not car.repairs.exists()


def test_nul_character_in_a_json_key_is_400(admin_api):
    response = admin_api.post("/api/v1/sla/preview/", {"sev\x00": "major"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "nul_character"


@pytest.mark.parametrize(
    "url",
    ["/api/v1/units/?q=a%00b", "/api/v1/tickets/?unit=a%00b", "/api/v1/tickets/?engineer=%00", "/api/v1/units/a%00b/"],
)
def test_nul_character_in_a_query_or_path_is_400_on_the_api(admin_api, url):
    response = admin_api.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["code"] == "nul_character"
    assert "NUL" in response.json()["message"]


def test_nul_character_in_a_page_query_or_form_is_400(client, make_user):
    client.force_login(make_user(Role.SERVICE_DESK))
    assert client.get("/units/?q=a%00b").status_code == 400
    assert client.post("/accounts/login/", {"username": "a\x00", "password": "x"}).status_code == 400


def test_nul_character_in_a_form_encoded_api_body_is_400(admin_api):
    response = admin_api.post("/api/v1/sla/preview/", {"severity": "ma\x00jor", "start": "2026-01-05T09:00:00+08:00"})
    assert response.status_code == 400
    assert response.json()["code"] == "nul_character"


@pytest.mark.parametrize("claim_date", ["9999-12-31", "0001-01-01", "2201-01-01", "1899-12-31"])
def test_entitlement_claim_date_out_of_range_is_400(admin_api, claim_date):
    body = {"regime": "car_2021", "invoice_date": "2026-01-01", "claim_date": claim_date, "fault": {}}
    response = admin_api.post("/api/v1/entitlement/evaluate/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    assert response.json()["details"]["claim_date"] == ["Give a date between 1900-01-01 and 2200-12-31."]


def test_entitlement_nested_datetime_out_of_range_is_400(admin_api):
    body = {
        "regime": "car_2021",
        "invoice_date": "2026-01-01",
        "claim_date": "2026-03-01",
        "fault": {"handed_in_at": "9999-12-31T23:59:59+08:00"},
    }
    response = admin_api.post("/api/v1/entitlement/evaluate/", body, format="json")
    assert response.status_code == 400, response.content
    assert "handed_in_at" in response.json()["details"]["fault"]


@pytest.mark.parametrize(
    "query",
    [
        "due_before=2661-07-29T16:27:09.2-20:41",
        "due_before=2026-07-29T16:27:09%2B15:30",
        "due_before=9999-12-31T23:59:59",
        "due_before=tomorrow",
        "customer=1e400",
        "customer=99999999999999999999999",
        "customer=NaN",
    ],
)
def test_ticket_filters_refuse_what_they_cannot_use_with_400(admin_api, query):
    response = admin_api.get(f"/api/v1/tickets/?{query}")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize("query", ["invoice_after=9999-12-31", "invoice_before=0001-01-01", "customer=1e30"])
def test_unit_filters_refuse_out_of_range_values_with_400(admin_api, query):
    response = admin_api.get(f"/api/v1/units/?{query}")
    assert response.status_code == 400, response.content


def test_ticket_filter_with_a_sane_offset_still_works(admin_api):
    response = admin_api.get("/api/v1/tickets/?due_before=2026-07-29T16:27:09%2B08:00")
    assert response.status_code == 200


def test_calendar_window_ending_at_midnight_is_not_a_server_error(admin_api):
    body = {"name": "Night shift", "windows": [{"weekday": 1, "start": "22:00", "end": "00:00"}]}
    response = admin_api.post("/api/v1/calendars/", body, format="json")
    # The validation rule itself belongs to the calendar service; here only: never a 500, always a code.
    assert response.status_code in (201, 400, 409), response.content
    if response.status_code != 201:
        assert response.json()["code"] in ("invalid", "conflict") or response.json()["code"].startswith("calendar")


def test_refusals_speak_the_users_language(api_client, make_user):
    api_client.force_authenticate(make_user(Role.SERVICE_DESK, language="zh-hans"))
    response = api_client.get("/api/v1/units/?q=a%00b")
    assert response.json()["message"] == "文本中不能包含 NUL 字符。"
    body = {"regime": "car_2021", "invoice_date": "2026-01-01", "claim_date": "9999-12-31", "fault": {}}
    response = api_client.post("/api/v1/entitlement/evaluate/", body, format="json")
    assert response.json()["details"]["claim_date"] == ["请填写 1900-01-01 至 2200-12-31 之间的日期。"]


@pytest.mark.parametrize(
    "url",
    [
        "/cases/99999999999999999999/",
        "/cases/abc/",
        "/units/a%00b/",
        "/cases/visits/99999999999999999999/",
        "/dashboard/warnings/99999999999999999999/",
        "/units/imports/99999999999999999999/",
    ],
)
def test_pages_with_impossible_ids_are_not_server_errors(client, make_user, url):
    client.force_login(make_user(Role.ADMIN))  # every page is open to the role: the id itself is tried
    assert client.get(url).status_code in (400, 404)


# Pages added with the desk and the claims dashboards: crafted query strings and form values are refused or
# fall back, never a 500.


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01"])
@pytest.mark.parametrize("name", ["submitted_from", "submitted_to", "parts_not_returned"])
def test_claims_page_date_beyond_the_calendar_is_not_a_500(client, manager_user, name, value):
    client.force_login(manager_user)
    assert client.get("/claims/", {name: value}).status_code == 200


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "99999999999999999999-01", "2026-13", "x"])
def test_visit_month_grid_out_of_range_shows_this_month(client, desk_user, month):
    client.force_login(desk_user)
    response = client.get("/cases/visits/", {"when": "month", "month": month})
    assert response.status_code == 200


def test_saved_view_whose_filters_outgrow_the_column_is_refused_with_a_message(client, desk_user):
    from tickets.models import SavedQueueView

    client.force_login(desk_user)
    response = client.post("/cases/views/", {"name": "长", "query": "q=" + "王" * 998}, follow=True)
    assert response.status_code == 200
    assert not SavedQueueView.objects.filter(user=desk_user).exists()
    assert "too long" in response.content.decode() or "太长" in response.content.decode()


def test_saved_view_delete_and_case_version_with_unicode_digits_are_not_a_500(client, desk_user):
    from tickets.services.tickets import ticket_create

    client.force_login(desk_user)
    assert client.post("/cases/views/", {"delete": "²"}).status_code == 302
    ticket = ticket_create(actor=desk_user, channel="phone", reporter_name="x", description="y", severity="minor")
    response = client.post(f"/cases/{ticket.pk}/action/cancel/", {"version": "²"})
    assert response.status_code in (302, 400)
    ticket.refresh_from_db()
    assert ticket.status != "cancelled"


def test_whole_number_reads_ascii_digits_only_within_the_bound():
    from aftersales.api.validation import whole_number

    assert [whole_number(value) for value in ("0", " 42 ", "²", "٣", "-1", "1.5", "", None, "9" * 20)] == [
        0,
        42,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    ]
    assert whole_number("2147483648", maximum=2**31 - 1) is None


@pytest.mark.parametrize("query", [{"ticket": "²"}, {"ticket": "99999999999999999999"}])
def test_claim_new_page_with_a_crafted_case_id_is_not_a_500(client, make_user, query):
    client.force_login(make_user(Role.DEALER_STAFF))
    assert client.get("/claims/new/", query).status_code in (200, 403)


def test_claims_review_queue_with_a_crafted_position_is_not_a_500(client, make_user):
    client.force_login(make_user(Role.CLAIMS_REVIEWER))
    assert client.get("/claims/review/", {"after": "2026-12-01T00:00:00+08:00,²"}).status_code == 200


def test_ticket_filters_named_beside_others_report_the_same_errors_as_alone(admin_api):
    # The filter set is narrowed to the filters a request names: each still reports its own message, in the
    # filter set's order, whatever else the query names (and names the same twice in a row: built once).
    alone = admin_api.get("/api/v1/tickets/?due_before=tomorrow").json()
    for _ in range(2):
        mixed = admin_api.get("/api/v1/tickets/?status=new&due_before=tomorrow&customer=NaN&severity=major")
        assert mixed.status_code == 400, mixed.content
        details = mixed.json()["details"]
        assert list(details) == ["customer", "due_before"]
        assert details["due_before"] == alone["details"]["due_before"]
    assert admin_api.get("/api/v1/tickets/?status=new&status=closed&severity=major").status_code == 200
    assert admin_api.get("/api/v1/tickets/?status=nonsense").json()["details"]["status"]
