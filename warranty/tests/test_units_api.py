from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales.roles import Role
from warranty.models import Unit
from warranty.tests.factories import ContactFactory, CustomerFactory, UnitFactory

pytestmark = pytest.mark.django_db


def register(client, **body):
    return client.post("/api/v1/units/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")


def test_register_unit_normalises_serial(desk_api, car_model):
    response = register(desk_api, serial=" lsv 123 ", model=car_model.code, invoice_date="2026-01-05")
    assert response.status_code == 201, response.json()
    assert response.json()["serial"] == "LSV123"
    assert Unit.objects.get().serial == "LSV123"


def test_register_within_20_days_is_on_time_and_after_is_late(desk_api, car_model):
    today = timezone.localdate()
    on_time = register(desk_api, serial="A1", model=car_model.code, invoice_date=str(today - timedelta(days=20)))
    late = register(desk_api, serial="A2", model=car_model.code, invoice_date=str(today - timedelta(days=21)))
    assert on_time.json()["registered_late"] is False
    assert late.json()["registered_late"] is True


def test_register_duplicate_serial_is_409_and_keeps_the_first(desk_api, car_model):
    register(desk_api, serial="DUP1", model=car_model.code)
    response = register(desk_api, serial="dup1", model=car_model.code, price="5")
    assert response.status_code == 409
    assert response.json()["code"] == "serial_exists"
    assert Unit.objects.get(serial="DUP1").price is None


def test_register_future_dates_are_refused_per_field(desk_api, car_model):
    tomorrow = str(timezone.localdate() + timedelta(days=1))
    response = register(desk_api, serial="F1", model=car_model.code, invoice_date=tomorrow, delivery_date=tomorrow)
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"invoice_date", "delivery_date"}
    assert not Unit.objects.exists()


def test_register_unknown_model_and_field_are_400(desk_api):
    response = register(desk_api, serial="X", model="NOPE", colour="red")
    assert response.status_code == 400
    assert {"model", "colour"} <= set(response.json()["details"])


def test_dealer_registers_only_for_own_dealer(api_client, dealer_user, dealer, other_dealer, car_model):
    api_client.force_authenticate(dealer_user)
    own = register(api_client, serial="D1", model=car_model.code, selling_dealer=dealer.code)
    assert own.status_code == 201
    other = register(api_client, serial="D2", model=car_model.code, selling_dealer=other_dealer.code)
    unknown = register(api_client, serial="D3", model=car_model.code, selling_dealer="NO-SUCH-DEALER")
    # Another dealer's code reads exactly like a code that does not exist.
    assert other.status_code == unknown.status_code == 400
    assert other.json()["details"]["selling_dealer"] == [f"Object with code={other_dealer.code} does not exist."]
    assert unknown.json()["details"]["selling_dealer"] == ["Object with code=NO-SUCH-DEALER does not exist."]
    assert not Unit.objects.filter(serial__in=["D2", "D3"]).exists()


def test_engineer_may_read_but_not_register(api_client, make_user, car_model):
    api_client.force_authenticate(make_user(Role.ENGINEER))
    assert api_client.get("/api/v1/units/").status_code == 200
    assert register(api_client, serial="E1", model=car_model.code).status_code == 403


def test_patch_with_current_version_changes_and_bumps_version(desk_api, car):
    response = desk_api.patch(f"/api/v1/units/{car.serial}/", {"usage_reading": 13000, "version": 1}, format="json")
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert response.json()["usage_reading"] == 13000


def test_patch_with_stale_version_is_412_and_changes_nothing(desk_api, car):
    desk_api.patch(f"/api/v1/units/{car.serial}/", {"usage_reading": 13000, "version": 1}, format="json")
    response = desk_api.patch(f"/api/v1/units/{car.serial}/", {"usage_reading": 99, "version": 1}, format="json")
    assert response.status_code == 412
    assert response.json()["code"] == "stale_version"
    car.refresh_from_db()
    assert car.usage_reading == 13000


@pytest.mark.parametrize("query", ["SNQ", "snq00", "王小明", "13912345678", "1234 5678"])
def test_search_by_serial_prefix_name_or_phone(desk_api, query):
    customer = CustomerFactory(name="王小明", phone="13912345678")
    UnitFactory(serial="SNQ001", customer=customer)
    UnitFactory(serial="OTHER1")
    results = desk_api.get("/api/v1/units/", {"q": query}).json()["results"]
    assert [unit["serial"] for unit in results] == ["SNQ001"]


def test_search_by_contact_phone(desk_api):
    customer = CustomerFactory()
    ContactFactory(customer=customer, phone="13055556666")
    UnitFactory(serial="CON1", customer=customer)
    results = desk_api.get("/api/v1/units/", {"q": "13055556666"}).json()["results"]
    assert [unit["serial"] for unit in results] == ["CON1"]


def test_dealer_lists_only_own_units(api_client, dealer_user, dealer, other_dealer, car_model):
    UnitFactory(serial="MINE", selling_dealer=dealer, product_model=car_model)
    UnitFactory(serial="THEIRS", selling_dealer=other_dealer, product_model=car_model)
    api_client.force_authenticate(dealer_user)
    serials = [unit["serial"] for unit in api_client.get("/api/v1/units/").json()["results"]]
    assert serials == ["MINE"]
    assert api_client.get("/api/v1/units/THEIRS/").status_code == 404
    assert api_client.get("/api/v1/units/", {"q": "THEIRS"}).json()["count"] == 0


def test_unit_list_query_count_does_not_grow(desk_api, car_model, django_assert_max_num_queries):
    for _ in range(30):
        UnitFactory(product_model=car_model)
    with django_assert_max_num_queries(6):
        response = desk_api.get("/api/v1/units/")
    assert response.json()["count"] == 30


def test_repairs_are_listed_and_created(desk_api, car):
    response = desk_api.post(
        f"/api/v1/units/{car.serial}/repairs/",
        {
            "confirmed_at": "2026-07-01T09:00:00+08:00",
            "completed_at": "2026-07-02T10:00:00+08:00",
            "problem_code": "BRK",
            "main_parts_replaced": [{"system": "brake", "part": "caliper"}],
            "replaced_parts": [{"part_number": "P-1", "name": "caliper", "quantity": 1}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    listed = desk_api.get(f"/api/v1/units/{car.serial}/repairs/").json()["results"]
    assert [repair["problem_code"] for repair in listed] == ["BRK"]


def test_repair_completed_before_agreed_is_400(desk_api, car):
    response = desk_api.post(
        f"/api/v1/units/{car.serial}/repairs/",
        {"confirmed_at": "2026-07-02T09:00:00+08:00", "completed_at": "2026-07-01T10:00:00+08:00"},
        format="json",
    )
    assert response.status_code == 400
    assert "completed_at" in response.json()["details"]
    assert not car.repairs.exists()
