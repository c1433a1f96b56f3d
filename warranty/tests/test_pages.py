import pytest

from aftersales.roles import Role
from warranty.tests.factories import RepairFactory, UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk_client(client, make_user):
    client.force_login(make_user(Role.SERVICE_DESK, language="en"))
    return client


def test_search_with_one_match_opens_the_unit(desk_client, car):
    response = desk_client.get("/units/", {"q": car.serial[:6].lower()})
    assert response.status_code == 302
    assert response["Location"] == f"/units/{car.serial}/"


def test_search_lists_several_matches(desk_client, car_model):
    UnitFactory(serial="MULTI1", product_model=car_model)
    UnitFactory(serial="MULTI2", product_model=car_model)
    page = desk_client.get("/units/", {"q": "multi"}).content.decode()
    assert "MULTI1" in page and "MULTI2" in page


def test_unit_page_shows_coverage_periods_and_history(desk_client, car):
    RepairFactory(unit=car, problem_code="BRK-NOISE")
    page = desk_client.get(f"/units/{car.serial}/").content.decode()
    assert 'data-testid="covered"' in page
    assert "2029-06-01" in page  # end of the 包修期 on the timeline
    assert "BRK-NOISE" in page


def test_unit_page_evaluates_a_hypothetical_fault(desk_client, car):
    response = desk_client.get(
        f"/units/{car.serial}/",
        {"claim_date": "2026-06-05", "usage": 100, "quality_problem": "on", "needs_assembly_replacement": "on"},
    )
    rules = [result.rule for result in response.context["evaluation"].results]
    assert rules[0] == "CAR-22"
    assert "CAR-22" in response.content.decode()


def test_dealer_cannot_open_another_dealers_unit_page(client, dealer_user, other_dealer, car_model):
    unit = UnitFactory(product_model=car_model, selling_dealer=other_dealer)
    client.force_login(dealer_user)
    assert client.get(f"/units/{unit.serial}/").status_code == 404


def test_engineer_cannot_open_the_import_page(client, make_user):
    client.force_login(make_user(Role.ENGINEER))
    assert client.get("/units/imports/").status_code == 403


def test_import_page_uploads_and_redirects_to_progress(
    client, make_user, car_model, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(make_user(Role.ADMIN, language="en"))
    upload = SimpleUploadedFile("u.csv", f"serial,model\nP-1,{car_model.code}\n".encode())
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/units/imports/", {"file": upload})
    assert response.status_code == 302
    progress = client.get(response["Location"]).content.decode()
    assert 'id="import-progress"' in progress


def test_dealer_registers_a_sold_unit_for_own_dealer(client, dealer_user, dealer, other_dealer, car_model):
    from datetime import timedelta

    from django.utils import timezone

    from warranty.models import Unit

    client.force_login(dealer_user)
    form = client.get("/units/register/").context["form"]
    assert list(form.fields["selling_dealer"].queryset) == [dealer]
    sold = (timezone.localdate() - timedelta(days=25)).isoformat()
    response = client.post(
        "/units/register/",
        {
            "serial": "reg 001",
            "product_model": car_model.pk,
            "customer_name": "周九",
            "customer_phone": "13100000000",
            "address": "杭州市西湖区 1 号",
            "selling_dealer": dealer.pk,
            "invoice_date": sold,
        },
    )
    assert response.status_code == 302
    unit = Unit.objects.get(serial="REG001")
    assert (unit.selling_dealer, unit.customer.name, unit.site.address) == (dealer, "周九", "杭州市西湖区 1 号")
    assert unit.registered_late is True
    refused = client.post(
        "/units/register/",
        {"serial": "REG002", "product_model": car_model.pk, "customer_name": "周九", "selling_dealer": other_dealer.pk},
    )
    assert refused.status_code == 200
    assert "selling_dealer" in refused.context["form"].errors
    assert not Unit.objects.filter(serial="REG002").exists()


def test_registration_of_existing_serial_shows_the_error_and_keeps_nothing(desk_client, car, car_model):
    from warranty.models import Customer

    before = Customer.objects.count()
    response = desk_client.post(
        "/units/register/", {"serial": car.serial, "product_model": car_model.pk, "customer_name": "新客户"}
    )
    assert response.status_code == 200
    assert "serial" in response.context["form"].errors
    assert Customer.objects.count() == before  # the customer created for it was rolled back
