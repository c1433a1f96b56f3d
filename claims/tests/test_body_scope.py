"""Ids and serials inside a claims request body resolve only within the requester's dealer: another
dealer's case, unit or claim line answers exactly as one that does not exist (API and pages)."""

import pytest

from claims.forms import ClaimForm
from claims.models import Claim, ReturnBatch
from claims.tests.test_api import claim_body, client_for
from tickets.services.tickets import ticket_create

pytestmark = pytest.mark.django_db

UNKNOWN_ID = 987654321


@pytest.fixture
def their_case(desk_user, sold_car):
    """A case on dealer A's car (A sold it): dealer B must not be able to name it."""
    return ticket_create(
        actor=desk_user, channel="phone", reporter_name="x", description="y", severity="minor", unit=sold_car
    )


def errors(response, field):
    assert response.status_code == 400, response.content
    return response.json()["details"][field]


def test_claim_body_naming_another_dealers_case_or_unit_is_answered_as_unknown(
    other_staff, other_car, sold_car, operation, their_case
):
    api = client_for(other_staff)
    theirs = api.post("/api/v1/claims/", claim_body(other_car, operation, ticket=their_case.pk), format="json")
    unknown = api.post("/api/v1/claims/", claim_body(other_car, operation, ticket=UNKNOWN_ID), format="json")
    assert errors(theirs, "ticket") == [
        message.replace(str(UNKNOWN_ID), str(their_case.pk)) for message in errors(unknown, "ticket")
    ]
    theirs = api.post("/api/v1/claims/", claim_body(sold_car, operation), format="json")
    unknown = api.post("/api/v1/claims/", {**claim_body(sold_car, operation), "unit": "NOSUCHSERIAL"}, format="json")
    assert errors(theirs, "unit") == [
        message.replace("NOSUCHSERIAL", sold_car.serial) for message in errors(unknown, "unit")
    ]
    assert not Claim.objects.exists()


def test_part_return_naming_another_dealers_claim_line_is_answered_as_unknown(make_claim, other_staff):
    line = make_claim().lines.get(kind="part")
    api = client_for(other_staff)
    body = {"carrier": "顺丰", "tracking_number": "SF1"}
    theirs = api.post("/api/v1/part-returns/", {**body, "lines": [line.pk]}, format="json")
    unknown = api.post("/api/v1/part-returns/", {**body, "lines": [UNKNOWN_ID]}, format="json")
    assert errors(theirs, "lines") == [
        message.replace(str(UNKNOWN_ID), str(line.pk)) for message in errors(unknown, "lines")
    ]
    assert not ReturnBatch.objects.exists()


def test_claim_page_form_offers_only_the_dealers_own_case_and_unit(other_staff, sold_car, their_case):
    form = ClaimForm({"unit": sold_car.serial, "ticket": their_case.pk}, user=other_staff)
    unknown = ClaimForm({"unit": "NOSUCHSERIAL", "ticket": UNKNOWN_ID}, user=other_staff)
    assert not form.is_valid() and not unknown.is_valid()
    assert form.errors["unit"] == unknown.errors["unit"]
    assert form.errors["ticket"] == unknown.errors["ticket"]
