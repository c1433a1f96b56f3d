"""Business dates do not depend on who is looking: an agent in Berlin and one in Shanghai get the same
coverage day, ticket number, price-list day and registration lateness."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from aftersales.dates import business_date
from aftersales.roles import Role
from tickets.models import Ticket
from tickets.services.work import charge_line_add
from tickets.tests.factories import CaseFactory
from warranty.models import PartPrice
from warranty.services.units import unit_register
from warranty.tests.factories import ProductModelFactory, UnitFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
# 06:00 in Shanghai on 2 March is still 1 March (23:00) in Berlin.
REPORTED = datetime(2026, 3, 2, 6, 0, tzinfo=SHANGHAI)


@pytest.fixture
def agents(make_user):
    return {zone: make_user(Role.SERVICE_DESK, time_zone=zone) for zone in ("Europe/Berlin", "Asia/Shanghai")}


@pytest.fixture
def ending_car(car_model):
    """A car whose 包修期 (3 years from 1 March 2023) ends on 1 March 2026."""
    return UnitFactory(
        product_model=car_model, invoice_date=date(2023, 3, 1), delivery_date=date(2023, 3, 1), usage_reading=30000
    )


def test_business_date_is_the_zone_of_the_rule_not_the_viewer():
    with timezone.override(BERLIN):
        assert timezone.localdate(REPORTED) == date(2026, 3, 1)
        assert business_date(REPORTED) == date(2026, 3, 2)
        assert business_date(REPORTED, zone="Europe/Berlin") == date(2026, 3, 1)


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Asia/Shanghai"])
def test_intake_by_agents_in_two_zones_case_is_chargeable_for_both(agents, ending_car, zone):
    client = APIClient()
    client.force_login(agents[zone])  # a session: the agent's own zone is active for the request
    body = {
        "channel": "phone",
        "reporter_name": "周先生",
        "description": "无法启动",
        "severity": "major",
        "unit": ending_car.serial,
        "reported_at": REPORTED.isoformat(),
    }
    response = client.post("/api/v1/tickets/", body, format="json")
    assert response.status_code == 201, response.json()
    # The answer is shown in the agent's zone (so the zone really was active) …
    shown = datetime.fromisoformat(response.json()["reported_at"])
    assert shown.utcoffset() == REPORTED.astimezone(ZoneInfo(zone)).utcoffset()
    # … and the business facts are the same for both.
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert ticket.chargeable is True
    assert ticket.coverage_snapshot["on"] == "2026-03-02"
    assert ticket.coverage_snapshot["covered"] is False


def test_ticket_number_day_is_the_same_for_an_agent_in_berlin(agents):
    with timezone.override(BERLIN):
        ticket = CaseFactory(actor=agents["Europe/Berlin"], reported_at=REPORTED, now=REPORTED)
    assert ticket.number.startswith("SR260302-")


def test_price_list_day_is_the_same_for_an_agent_in_berlin(agents, make_user):
    PartPrice.objects.create(part_number="P-1", name="滤芯", price=Decimal("10.00"), valid_from=date(2026, 1, 1))
    PartPrice.objects.create(part_number="P-1", name="滤芯", price=Decimal("12.00"), valid_from=date(2026, 3, 2))
    ticket = CaseFactory(actor=agents["Asia/Shanghai"], reported_at=REPORTED)
    with timezone.override(BERLIN):
        line = charge_line_add(
            ticket=ticket,
            actor=make_user(Role.ENGINEER),
            kind="part",
            description="",
            quantity=1,
            part_number="P-1",
            now=REPORTED,
        )
    assert line.unit_price == Decimal("12.00")


def test_registration_lateness_is_the_same_for_an_agent_in_berlin(make_user, dealer):
    registrar = make_user(Role.ADMIN)
    # Invoice 1 March: registration is due by 21 March; 22 March 06:00 in Shanghai is 21 March in Berlin.
    with timezone.override(BERLIN):
        unit = unit_register(
            actor=registrar,
            serial="LSVZONE000000001",
            product_model=ProductModelFactory(),
            selling_dealer=dealer,
            invoice_date=date(2026, 3, 1),
            now=datetime(2026, 3, 22, 6, 0, tzinfo=SHANGHAI),
        )
    assert unit.registered_late is True
