"""Case intake judges the unit by its warranty policy's versions kept per process under the policy-terms
stamp (warranty.coverage): an admin edit of a version or of a component term is seen by the very next case
(and by the coverage API), never the kept copy."""

import pytest

from warranty.models import PolicyComponentTerm
from warranty.tests.test_admin import version_form

pytestmark = pytest.mark.django_db
URL = "/api/v1/tickets/"


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("admin", is_staff=True, is_superuser=True, language="en"))
    return client


def coverage_periods(desk_api, serial) -> dict:
    body = desk_api.get(f"/api/v1/units/{serial}/coverage/", {"on": "2027-06-01", "usage": 1}).json()
    return {period["name"]: period["end"] for period in body["periods"]}


def case_periods(desk_api, serial) -> dict:
    body = {"channel": "phone", "reporter_name": "王", "description": "无法开机", "severity": "major", "unit": serial}
    response = desk_api.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    return {period["name"]: period["end"] for period in response.json()["coverage_snapshot"]["periods"]}


def edit(admin_client, version, **fields):
    data = version_form("car_2021", version.policy, effective_from="2015-01-01", version="1", **fields)
    response = admin_client.post(f"/admin/warranty/policyversion/{version.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors


def test_an_admin_edit_of_the_version_is_seen_by_the_next_case(desk_api, admin_client, car, car_policy):
    assert coverage_periods(desk_api, car.serial)["repair_period"] == "2029-06-01"  # the versions kept now
    edit(admin_client, car_policy.versions.get(), whole_unit_months="48")
    assert case_periods(desk_api, car.serial)["repair_period"] == "2030-06-01"
    assert coverage_periods(desk_api, car.serial)["repair_period"] == "2030-06-01"


def test_an_admin_edit_of_a_component_term_is_seen_by_the_next_case(desk_api, admin_client, car, car_policy):
    assert "component:battery" not in coverage_periods(desk_api, car.serial)
    version = car_policy.versions.get()
    edit(admin_client, version, components=[{"code": "battery", "kind": "main_part", "months": 96}])
    assert PolicyComponentTerm.objects.filter(version=version, code="battery").exists()
    assert case_periods(desk_api, car.serial)["component:battery"] == "2034-06-01"
    assert coverage_periods(desk_api, car.serial)["component:battery"] == "2034-06-01"
