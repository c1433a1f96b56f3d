"""A warranty policy version that a case's coverage decision used is frozen in the admin (the cases tell
warranty through the hook they register; warranty never imports cases)."""

from datetime import date

import pytest

from tickets.tests.factories import CaseFactory
from warranty.models import WarrantyPolicy
from warranty.tests.factories import PolicyFactory, ProductModelFactory, UnitFactory, version_from_preset
from warranty.tests.test_admin import version_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("admin", is_staff=True, is_superuser=True, language="en"))
    return client


def test_a_version_cases_used_is_read_only(admin_client, make_user):
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CONSUMER_GOODS)
    version = version_from_preset(policy, "catalogue_goods", effective_from=date(2020, 1, 1))
    unit = UnitFactory(product_model=ProductModelFactory(policy=policy))
    url = f"/admin/warranty/policyversion/{version.pk}/change/"
    assert admin_client.get(url).context["has_change_permission"]
    ticket = CaseFactory(unit=unit, severity="major")
    assert ticket.coverage_policy_version == version
    page = admin_client.get(url)
    assert not page.context["has_change_permission"]
    body = page.content.decode()
    assert "Cases already used this version" in body and f"?from={version.pk}" in body
    assert "whole-unit 三包有效期" in body  # the terms are shown, read-only
    policy_page = admin_client.get(f"/admin/warranty/warrantypolicy/{policy.pk}/change/").content.decode()
    assert 'alt="True"' in policy_page  # marked as used by cases in the policy's list of versions
    response = admin_client.post(url, version_form("catalogue_goods", policy, whole_unit_months="24"))
    assert response.status_code == 403
    version.refresh_from_db()
    assert version.whole_unit_months == 12


def test_policy_page_edits_the_version_no_case_used_and_shows_a_used_one_read_only(admin_client):
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CONSUMER_GOODS)
    old = version_from_preset(policy, "catalogue_goods", effective_from=date(2020, 1, 1), effective_to=date(2025, 1, 1))
    CaseFactory(unit=UnitFactory(product_model=ProductModelFactory(policy=policy), invoice_date=date(2021, 3, 1)))
    draft = version_from_preset(policy, "catalogue_goods", version=2, effective_from=date(2025, 1, 1))
    url = f"/admin/warranty/warrantypolicy/{policy.pk}/change/"
    editor = admin_client.get(url).context["version_editor"]
    assert editor.version == draft and not editor.frozen
    frozen = admin_client.get(f"{url}?version={old.pk}")
    assert frozen.context["version_editor"].frozen and frozen.context["version_editor"].form is None
    body = frozen.content.decode()
    assert "Cases already used this version" in body and 'name="whole_unit_months"' not in body
    assert f"?from={old.pk}" in body  # a new version from it instead
