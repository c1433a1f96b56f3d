"""The dealer data scope on every lookup (aftersales.scoping): what a dealer names in a URL or a request body
is looked up among its own rows, so another dealer's object answers exactly like one that does not exist."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftersales import prepared
from aftersales.roles import Role
from aftersales.scoping import ScopeNotDeclared, scope_for, viewer
from tickets.models import Ticket
from tickets.services.tickets import ticket_create
from warranty.models import Customer, Site, Unit
from warranty.tests.factories import CustomerFactory, DealerFactory, DealerMemberFactory, UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_user, car_model):
    """Dealers A and B, each with a customer, a site and a unit; a staff user of A."""
    a, b = DealerFactory(code="DA"), DealerFactory(code="DB")
    customers = {name: CustomerFactory(name=f"客户{name}", phone=f"1380000000{i}") for i, name in enumerate("ab")}
    sites = {
        name: Site.objects.create(customer=customers[name], name=f"站点{name}", address=f"{name} 路 1 号")
        for name in "ab"
    }
    units = {
        name: UnitFactory(
            serial=f"SN-{name.upper()}",
            product_model=car_model,
            customer=customers[name],
            site=sites[name],
            selling_dealer=dealer,
            invoice_date=date(2026, 6, 1),
        )
        for name, dealer in (("a", a), ("b", b))
    }
    user = make_user(Role.DEALER_STAFF)
    DealerMemberFactory(user=user, dealer=a)
    return {"a": a, "b": b, "customers": customers, "sites": sites, "units": units, "user": user}


@pytest.fixture
def dealer_api(api_client, world):
    api_client.force_authenticate(world["user"])
    return api_client


def missing_id(model) -> int:
    return (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


def test_patch_unit_with_another_dealers_customer_answers_like_an_unknown_id_and_links_nothing(dealer_api, world):
    own = world["units"]["a"]
    theirs = world["customers"]["b"]
    missing = missing_id(Customer)
    foreign = dealer_api.patch(f"/api/v1/units/{own.serial}/", {"version": 1, "customer": theirs.pk}, format="json")
    unknown = dealer_api.patch(f"/api/v1/units/{own.serial}/", {"version": 1, "customer": missing}, format="json")
    assert foreign.status_code == unknown.status_code == 400
    # The same words, in the user's language (zh-hans), but for the id itself.
    assert foreign.json()["details"]["customer"] == [f"无效主键 “{theirs.pk}” － 对象不存在。"]
    assert unknown.json()["details"]["customer"] == [f"无效主键 “{missing}” － 对象不存在。"]
    assert theirs.name not in foreign.content.decode() and theirs.phone not in foreign.content.decode()
    own.refresh_from_db()
    assert own.customer == world["customers"]["a"] and own.version == 1


def test_register_unit_on_another_dealers_site_answers_like_an_unknown_id(dealer_api, world, car_model):
    theirs = world["sites"]["b"]
    body = {"serial": "NEW-1", "model": car_model.code, "invoice_date": "2026-06-01"}
    foreign = dealer_api.post("/api/v1/units/", {**body, "site": theirs.pk}, format="json")
    unknown = dealer_api.post("/api/v1/units/", {**body, "site": missing_id(Site)}, format="json")
    assert foreign.status_code == unknown.status_code == 400
    assert foreign.json()["code"] == unknown.json()["code"] == "invalid"
    assert theirs.address not in foreign.content.decode()
    assert not Unit.objects.filter(serial="NEW-1").exists()


def test_unit_registered_by_a_dealer_is_its_own_sale(dealer_api, world, car_model):
    response = dealer_api.post(
        "/api/v1/units/", {"serial": "new-2", "model": car_model.code, "invoice_date": "2026-06-01"}, format="json"
    )
    assert response.status_code == 201
    assert Unit.objects.get(serial="NEW-2").selling_dealer == world["a"]


def test_replaces_with_another_dealers_serial_answers_like_an_unknown_serial(dealer_api, world, car_model):
    body = {"model": car_model.code, "invoice_date": "2026-06-01", "replaced_on": "2026-07-01"}
    foreign = dealer_api.post("/api/v1/units/", {**body, "serial": "X1", "replaces": "sn-b"}, format="json")
    unknown = dealer_api.post("/api/v1/units/", {**body, "serial": "X2", "replaces": "SN-NONE"}, format="json")
    own = dealer_api.post("/api/v1/units/", {**body, "serial": "X3", "replaces": "sn-a"}, format="json")
    assert foreign.status_code == unknown.status_code == 400
    assert foreign.json()["details"]["replaces"] == ["属性 serial 为 SN-B 的对象不存在。"]
    assert unknown.json()["details"]["replaces"] == ["属性 serial 为 SN-NONE 的对象不存在。"]
    assert own.status_code == 201 and own.json()["replaces"] == "SN-A"
    assert not Unit.objects.filter(serial__in=["X1", "X2"]).exists()
    assert not Unit.objects.filter(replaces=world["units"]["b"]).exists()


def test_ticket_with_another_dealers_customer_site_or_unit_answers_like_unknown(dealer_api, world):
    body = {"channel": "dealer", "reporter_name": "王", "description": "不制冷", "severity": "major"}
    for field, theirs, unknown in (
        ("customer", world["customers"]["b"].pk, missing_id(Customer)),
        ("site", world["sites"]["b"].pk, missing_id(Site)),
        ("unit", "SN-B", "SN-NONE"),
        ("serving_outlet", "DB", "NO-SUCH"),
    ):
        foreign = dealer_api.post("/api/v1/tickets/", {**body, field: theirs}, format="json")
        missing = dealer_api.post("/api/v1/tickets/", {**body, field: unknown}, format="json")
        assert foreign.status_code == missing.status_code == 400, field
        assert list(foreign.json()["details"]) == list(missing.json()["details"]) == [field]
        assert world["customers"]["b"].name not in foreign.content.decode()
    assert not Ticket.objects.exists()


def test_ticket_opened_by_a_dealer_is_served_by_its_outlet(dealer_api, world):
    body = {"channel": "dealer", "reporter_name": "王", "description": "不制冷", "severity": "major"}
    response = dealer_api.post("/api/v1/tickets/", {**body, "customer": world["customers"]["a"].pk}, format="json")
    assert response.status_code == 201
    assert response.json()["serving_outlet"] == "DA"
    assert response.json()["customer"] == world["customers"]["a"].name


def test_dealer_member_with_an_internal_role_is_still_scoped_to_its_dealer(make_user, world, desk_user):
    """An outlet's engineer holds the engineer role and a dealer membership: it sees its dealer only."""
    engineer = make_user(Role.ENGINEER)
    DealerMemberFactory(user=engineer, dealer=world["a"])
    ticket_create(
        actor=desk_user, channel="phone", reporter_name="x", description="y", severity="minor", unit=world["units"]["b"]
    )
    assert viewer(engineer).dealer_id == world["a"].pk
    assert list(scope_for(engineer, Unit.objects.all())) == [world["units"]["a"]]
    assert not scope_for(engineer, Ticket.objects.all()).exists()
    assert set(scope_for(engineer, Customer.objects.all())) == {world["customers"]["a"]}


def test_unit_served_on_a_case_is_in_the_serving_dealers_scope(world, desk_user):
    ticket_create(
        actor=desk_user,
        channel="phone",
        reporter_name="x",
        description="y",
        severity="minor",
        unit=world["units"]["b"],
        serving_outlet=world["a"],
    )
    user = world["user"]
    assert set(scope_for(user, Unit.objects.all())) == {world["units"]["a"], world["units"]["b"]}
    assert set(scope_for(user, Customer.objects.all())) == {world["customers"]["a"], world["customers"]["b"]}
    assert set(scope_for(user, Ticket.objects.all())) == set(Ticket.objects.all())


def test_scope_of_users_without_role_or_inactive_is_empty(make_user, world):
    nobody = make_user(None)
    gone = make_user(Role.SERVICE_DESK, is_active=False)
    for user in (nobody, gone):
        assert not scope_for(user, Unit.objects.all()).exists()
        assert not scope_for(user, Customer.objects.all()).exists()


def test_manufacturer_staff_see_every_dealers_rows(desk_user, world):
    assert scope_for(desk_user, Unit.objects.all()).count() == 2


def test_model_without_a_dealer_rule_is_refused_for_dealers(world):
    from tickets.models import Notification

    with pytest.raises(ScopeNotDeclared):
        scope_for(world["user"], Notification.objects.all())


def test_assigning_another_dealers_engineer_answers_like_an_unknown_user(dealer_api, world, make_user, desk_user):
    ours, theirs, manufacturer = make_user(Role.ENGINEER), make_user(Role.ENGINEER), make_user(Role.ENGINEER)
    DealerMemberFactory(user=ours, dealer=world["a"])
    DealerMemberFactory(user=theirs, dealer=world["b"])
    ticket = ticket_create(
        actor=desk_user, channel="phone", reporter_name="x", description="y", severity="minor", unit=world["units"]["a"]
    )
    url = f"/api/v1/tickets/{ticket.pk}/assign/"
    for name in (theirs.username, manufacturer.username, "no-such-user"):
        response = dealer_api.post(url, {"engineer": name, "version": ticket.version}, format="json")
        assert response.status_code == 400, name
        assert list(response.json()["details"]) == ["engineer"]
    response = dealer_api.post(url, {"engineer": ours.username, "version": ticket.version}, format="json")
    assert response.status_code == 200
    assert response.json()["assigned_engineer"] == ours.username


def test_registration_page_refuses_another_dealer_like_an_unknown_choice(client, world, car_model):
    client.force_login(world["user"])
    body = {"serial": "PG-1", "product_model": car_model.pk, "customer_name": "赵", "invoice_date": "2026-06-01"}
    foreign = client.post("/units/register/", {**body, "selling_dealer": world["b"].pk})
    unknown = client.post("/units/register/", {**body, "selling_dealer": missing_id(type(world["b"]))})
    assert foreign.status_code == unknown.status_code == 200
    assert foreign.context["form"].errors["selling_dealer"] == unknown.context["form"].errors["selling_dealer"]
    assert world["b"].name not in foreign.content.decode()
    assert not Unit.objects.filter(serial="PG-1").exists()


def test_admin_site_is_closed_to_a_dealers_user_even_if_staff(client, world, make_user):
    dealer_admin = make_user(Role.ADMIN, is_staff=True)
    DealerMemberFactory(user=dealer_admin, dealer=world["a"])
    manufacturer_admin = make_user(Role.ADMIN, is_staff=True)
    client.force_login(dealer_admin)
    response = client.get("/admin/warranty/customer/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(manufacturer_admin)
    assert client.get("/admin/warranty/customer/").status_code == 200


def test_the_staffs_prepared_unit_lookup_is_never_a_dealers(dealer_api, world, desk_user):
    """The case intake's unit lookup of the manufacturer's staff (every unit) is compiled once and prepared
    (warranty.api.serializers.UnitSerialRelatedField): a dealer's lookup after it is still its own scope."""
    from rest_framework.test import APIClient

    body = {"channel": "phone", "reporter_name": "王", "description": "不制冷", "severity": "major"}
    desk = APIClient()
    desk.force_authenticate(desk_user)
    for serial in ("SN-B", "sn-a"):
        with CaptureQueriesContext(connection) as captured:
            assert desk.post("/api/v1/tickets/", {**body, "unit": serial}, format="json").status_code == 201
        unit_reads = [q["sql"] for q in captured.captured_queries if "warranty_unit" in prepared.original(q["sql"])]
        assert unit_reads and all(sql.startswith(("PREPARE", "EXECUTE")) for sql in unit_reads)  # the prepared path
    unknown = desk.post("/api/v1/tickets/", {**body, "unit": "SN-NONE"}, format="json")
    assert unknown.status_code == 400 and list(unknown.json()["details"]) == ["unit"]
    assert "SN-NONE" in unknown.json()["details"]["unit"][0]
    # Text the database cannot take answers as DRF's own lookup does: a 400, never a 500.
    broken = desk.post(
        "/api/v1/tickets/",
        b'{"unit": "\\ud800", "channel": "phone", "reporter_name": "x", "description": "y", "severity": "major"}',
        content_type="application/json",
    )
    assert broken.status_code == 400 and list(broken.json()["details"]) == ["unit"]
    foreign = dealer_api.post("/api/v1/tickets/", {**body, "unit": "SN-B"}, format="json")
    missing = dealer_api.post("/api/v1/tickets/", {**body, "unit": "SN-NONE"}, format="json")
    assert foreign.status_code == missing.status_code == 400
    assert foreign.json()["details"]["unit"][0].replace("SN-B", "SN-NONE") == missing.json()["details"]["unit"][0]
    own = dealer_api.post("/api/v1/tickets/", {**body, "unit": "SN-A"}, format="json")
    assert own.status_code == 201 and own.json()["unit"] == "SN-A"
    assert Ticket.objects.filter(unit=world["units"]["b"]).count() == 1


def test_case_intake_with_prepared_statements_off_sends_plain_sql(api_client, desk_user, world, settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    api_client.force_authenticate(desk_user)
    body = {"channel": "phone", "reporter_name": "王", "description": "不制冷", "severity": "major", "unit": "SN-A"}
    with CaptureQueriesContext(connection) as captured:
        response = api_client.post("/api/v1/tickets/", body, format="json")
    assert response.status_code == 201 and response.json()["unit"] == "SN-A"
    assert not [q["sql"] for q in captured.captured_queries if q["sql"].startswith(("PREPARE", "EXECUTE"))]


def test_a_token_request_reads_the_viewers_dealer_and_roles_with_the_token(api_client, world, desk_user):
    """The token lookup reads the user's dealer and role groups in the same statement (aftersales.api.
    authentication): scoped as before, with no statement of its own for the roles or the scope."""
    from rest_framework.authtoken.models import Token

    dealer_token = Token.objects.create(user=world["user"])
    desk_token = Token.objects.create(user=desk_user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {dealer_token.key}")
    with CaptureQueriesContext(connection) as captured:
        mine = api_client.get("/api/v1/units/")
    assert mine.status_code == 200
    assert [unit["serial"] for unit in mine.json()["results"]] == ["SN-A"]
    assert not [q["sql"] for q in captured.captured_queries if "dealers_dealermember" in q["sql"].split("FROM")[0]]
    assert sum('"authtoken_token"' in q["sql"] and "dealers_dealermember" in q["sql"] for q in captured) == 1
    assert api_client.get("/api/v1/units/SN-B/").status_code == 404
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {desk_token.key}")
    assert sorted(unit["serial"] for unit in api_client.get("/api/v1/units/").json()["results"]) == ["SN-A", "SN-B"]
    # A dealer's own case through the token: its outlet serves it, as with a session.
    body = {"channel": "dealer", "reporter_name": "王", "description": "不制冷", "severity": "major"}
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {dealer_token.key}")
    created = api_client.post("/api/v1/tickets/", {**body, "unit": "SN-A"}, format="json")
    assert created.status_code == 201 and created.json()["serving_outlet"] == "DA"
    world["user"].is_active = False
    world["user"].save(update_fields=["is_active"])
    refused = api_client.get("/api/v1/units/")
    assert refused.status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert api_client.get("/api/v1/units/").status_code == 401
