# ruff: noqa: F811  (fixtures imported from warranty are parameters of the ones defined here)
"""Claims fixtures: a dealer with staff and a labour rate, the car it sold, the catalogue the checks need,
reviewers and finance of the maker, and a helper that builds a claim through the services."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from aftersales.roles import Role
from claims import defaults
from claims.models import ClaimType
from claims.services import claims as claim_services
from claims.tests.factories import FlatRateFactory, LabourOperationFactory, PartPriceFactory
from warranty.tests.conftest import car, car_model, car_policy, dealer, dealer_user, other_dealer  # noqa: F401
from warranty.tests.factories import DealerMemberFactory, UnitFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The claims tests run on a fixed clock: a car sold 2026-06-01, repaired in November.
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def rated_dealer(dealer):
    dealer.labour_rate = Decimal("80.00")
    dealer.save()
    return dealer


@pytest.fixture
def staff(dealer_user, rated_dealer):
    return dealer_user


@pytest.fixture
def other_staff(make_user, other_dealer):
    user = make_user(Role.DEALER_STAFF)
    DealerMemberFactory(user=user, dealer=other_dealer)
    return user


@pytest.fixture
def reviewer(make_user):
    return make_user(Role.CLAIMS_REVIEWER)


@pytest.fixture
def second_reviewer(make_user):
    return make_user(Role.CLAIMS_REVIEWER)


@pytest.fixture
def finance(make_user):
    return make_user(Role.FINANCE)


@pytest.fixture
def operation(car_model):
    rate = FlatRateFactory(product_model=car_model, hours=Decimal("2.00"))
    return rate.operation


@pytest.fixture
def unrated_operation():
    return LabourOperationFactory()


@pytest.fixture
def brake_part():
    return PartPriceFactory(part_number="P-BRK-001", name="制动钳总成", price=Decimal("860.00"))


@pytest.fixture
def repair_type(db):
    # A flushing (transactional) test may have removed what the data migration installed.
    defaults.install_now()
    return ClaimType.objects.get(code="repair")


@pytest.fixture
def sold_car(car, rated_dealer):
    car.registered_at = datetime(2026, 6, 5, 9, 0, tzinfo=SHANGHAI)  # within 20 days of the sale
    car.save()
    return car


@pytest.fixture
def other_car(car_model, other_dealer):
    return UnitFactory(
        product_model=car_model, selling_dealer=other_dealer, invoice_date=NOW.date() - timedelta(days=60)
    )


def photo(name="brake.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def record(name="record.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def make_claim(staff, sold_car, repair_type, operation, brake_part):
    """A claim of the dealer for its car: 1.5 h of labour at 80.00, one brake caliper at 860.00 and towing
    of 200.00 (1,180.00 claimed); ``documents`` attaches a photo and the signed record; ``submit`` submits."""

    def make(*, submit=True, documents=True, lines=None, actor=None, now=NOW, **header):
        values = {
            "unit": sold_car,
            "claim_type": repair_type,
            "problem_code": "BRAKE-NOISE",
            "fault_description": "制动异响",
            "fault_date": (now - timedelta(days=3)).date(),
            "repair_agreed_at": now - timedelta(days=3),
            "repair_completed_at": now - timedelta(days=2),
            "usage": 12500,
        } | header
        if lines is None:
            lines = [
                {"kind": "labour", "operation": operation, "hours": Decimal("1.50")},
                {"kind": "part", "part_number": "P-BRK-001", "quantity": Decimal(1), "old_part_serial": "OLD-1"},
                {"kind": "other", "cost_kind": "towing", "amount": Decimal("200.00"), "description": "拖车 12 km"},
            ]
        claim, _created = claim_services.claim_create(actor=actor or staff, lines=lines, now=now, **values)
        if documents:
            claim_services.claim_attachment_add(claim=claim, actor=actor or staff, kind="photo", file=photo(), now=now)
            claim_services.claim_attachment_add(
                claim=claim, actor=actor or staff, kind="repair_record", file=record(), now=now
            )
            claim.refresh_from_db()
        if submit:
            claim = claim_services.claim_submit(
                claim=claim, actor=actor or staff, expected_version=claim.version, now=now
            )
        return claim

    return make
