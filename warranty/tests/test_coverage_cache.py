"""A policy's versions and their terms are kept per process under the policy-terms stamp (warranty.coverage):
an edit by the admin or any other path is seen by the very next coverage answer, never a stale copy, and an
answer with nothing edited reads no versions."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from warranty import coverage as coverage_module
from warranty.models import PolicyComponentTerm, PolicyVersion
from warranty.tests.test_admin import version_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("admin", is_staff=True, is_superuser=True, language="en"))
    return client


def answer(client, serial, **params):
    response = client.get(f"/api/v1/units/{serial}/coverage/", {"on": "2027-06-01", "usage": 20000} | params)
    assert response.status_code == 200, response.content
    return response.json()


def periods(body) -> dict:
    return {period["name"]: period for period in body["periods"]}


def version_reads(captured) -> int:
    return sum(1 for q in captured.captured_queries if '"warranty_policyversion"' in q["sql"])


def test_unchanged_versions_are_not_read_again(desk_api, car):
    answer(desk_api, car.serial)  # the requester's scope, read once
    coverage_module.forget()
    with CaptureQueriesContext(connection) as first:
        answer(desk_api, car.serial)
    with CaptureQueriesContext(connection) as second:
        body = answer(desk_api, car.serial)
    assert version_reads(first) == 1 and version_reads(second) == 0
    assert len(second.captured_queries) == len(first.captured_queries) - 1  # the stamp is read with the unit
    assert periods(body)["repair_period"]["end"] == "2029-06-01"


def test_an_admin_edit_of_the_version_is_seen_by_the_next_answer(desk_api, admin_client, car, car_policy):
    assert periods(answer(desk_api, car.serial))["repair_period"]["end"] == "2029-06-01"  # kept now
    version = car_policy.versions.get()
    data = version_form("car_2021", car_policy, effective_from="2015-01-01", version="1", whole_unit_months="48")
    response = admin_client.post(f"/admin/warranty/policyversion/{version.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert periods(answer(desk_api, car.serial))["repair_period"]["end"] == "2030-06-01"


def test_an_admin_edit_of_a_component_term_is_seen_by_the_next_answer(desk_api, admin_client, car, car_policy):
    assert "component:battery" not in periods(answer(desk_api, car.serial, component="battery"))
    version = car_policy.versions.get()
    rows = [{"code": "battery", "kind": "main_part", "months": 96}]
    data = version_form("car_2021", car_policy, components=rows, effective_from="2015-01-01", version="1")
    response = admin_client.post(f"/admin/warranty/policyversion/{version.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    body = answer(desk_api, car.serial, component="battery")
    assert periods(body)["component:battery"]["end"] == "2034-06-01"
    assert body["component"]["end"] == "2034-06-01"

    # A bulk update outside the admin changes the stamp as well.
    PolicyComponentTerm.objects.filter(version=version).update(months=60)
    assert answer(desk_api, car.serial, component="battery")["component"]["end"] == "2031-06-01"
    PolicyComponentTerm.objects.filter(version=version).delete()
    assert "component:battery" not in periods(answer(desk_api, car.serial, component="battery"))


def test_a_new_version_is_seen_by_the_next_answer(desk_api, car, car_policy):
    assert answer(desk_api, car.serial)["basis"]["version"] == 1
    current = car_policy.versions.get()
    PolicyVersion.objects.filter(pk=current.pk).update(effective_to=date(2026, 1, 1))
    newer = PolicyVersion.objects.get(pk=current.pk)
    newer.pk, newer.version, newer.effective_from, newer.effective_to = None, 2, date(2026, 1, 1), None
    newer.whole_unit_months = 48
    newer.save()
    body = answer(desk_api, car.serial)
    assert body["basis"]["version"] == 2
    assert periods(body)["repair_period"]["end"] == "2030-06-01"


def test_without_a_stamp_nothing_is_kept(desk_api, car):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM warranty_policytermsstamp")
    answer(desk_api, car.serial)
    with CaptureQueriesContext(connection) as again:
        answer(desk_api, car.serial)
    assert version_reads(again) == 1
