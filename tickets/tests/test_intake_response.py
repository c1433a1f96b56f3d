"""The answer to opening a case is written from what intake holds in memory; it is the case exactly as the
detail shows it when read back, for a case on a unit (coverage snapshot, site, customer) and one without."""

from datetime import timedelta

import pytest
from django.utils import timezone

from warranty.tests.factories import RepairFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/tickets/"


@pytest.mark.parametrize("with_unit", [True, False])
def test_intake_response_is_the_detail_of_the_case_read_back(desk_api, car, with_unit):
    RepairFactory(unit=car)
    body = {
        "channel": "phone",
        "reporter_name": "王",
        "description": "无法开机",
        "severity": "major",
        "contact_phone": "13800000000",
        "distance_km": 30,
        "reported_at": (timezone.now() - timedelta(minutes=5)).isoformat(),
    }
    if with_unit:
        body["unit"] = car.serial
    created = desk_api.post(URL, body, format="json")
    assert created.status_code == 201, created.json()
    detail = desk_api.get(f"{URL}{created.json()['id']}/")
    assert detail.status_code == 200
    assert created.json() == detail.json()
    assert created.json()["timers"] and created.json()["allowed_actions"]
    if with_unit:
        snapshot = created.json()["coverage_snapshot"]
        assert snapshot["serial"] == car.serial and snapshot["periods"]
    else:
        assert created.json()["coverage_snapshot"] is None
