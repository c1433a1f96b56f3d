"""A page whose object someone else changed meanwhile says so in words, without the version number the
service answered with (it ended the claim page's message as a stray "2")."""

import pytest
from playwright.sync_api import expect

from claims.models import Claim
from claims.tests.conftest import (  # noqa: F401 - fixtures
    brake_part,
    make_claim,
    operation,
    rated_dealer,
    repair_type,
    reviewer,
    sold_car,
    staff,
)
from warranty.tests.conftest import car, car_model, car_policy, dealer, dealer_user  # noqa: F401 - fixtures

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_stale_claim_page_says_so_without_the_version_number(page, live_server, make_claim, reviewer):  # noqa: F811
    claim = make_claim()
    reviewer.set_password("reviewer-e2e-pass")
    reviewer.language = "en"
    reviewer.save()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", reviewer.username)
    page.fill("#id_password", "reviewer-e2e-pass")
    page.click("button[type=submit].primary")
    page.goto(f"{live_server.url}/claims/{claim.pk}/")
    Claim.objects.filter(pk=claim.pk).update(version=claim.version + 1)  # someone else's change meanwhile
    for line in claim.lines.all():
        page.select_option(f"[name=decision_{line.pk}]", "approve")
    page.get_by_test_id("decide").click()
    message = page.locator(".messages li.error")
    expect(message).to_have_text("Someone else changed this claim meanwhile; reload it and try again.")
    assert Claim.objects.get(pk=claim.pk).status == "submitted"
