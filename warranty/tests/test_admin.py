import pytest

from warranty.models import PolicyVersion, WarrantyPolicy
from warranty.tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("admin", is_staff=True, is_superuser=True, language="en"))
    return client


def version_form(policy, **overrides):
    data = {
        "policy": policy.pk,
        "version": 1,
        "effective_from": "2026-01-01",
        "start_event": "invoice",
        "whole_unit_months": 36,
        "whole_unit_usage": 60000,
        "sanbao_months": 24,
        "sanbao_usage": 50000,
        "params": "{}",
        "options": "{}",
        "exclusions": "",
        "parts_pricing": "list",
        "labour_rate": "10",
        "component_terms-TOTAL_FORMS": "0",
        "component_terms-INITIAL_FORMS": "0",
    }
    return data | overrides


def test_statutory_policy_version_is_saved(admin_client):
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CAR_2021)
    response = admin_client.post("/admin/warranty/policyversion/add/", version_form(policy))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert PolicyVersion.objects.filter(policy=policy).count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"whole_unit_months": 24}, "whole_unit_months"),
        ({"whole_unit_usage": 50000}, "whole_unit_usage"),
        ({"sanbao_months": 12}, "sanbao_months"),
        ({"params": '{"refund_days": 5}'}, "params"),
        ({"params": '{"usage_fee_rate": "0.01"}'}, "params"),
    ],
)
def test_sub_statutory_car_terms_are_refused_naming_the_minimum(admin_client, overrides, field):
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CAR_2021)
    response = admin_client.post("/admin/warranty/policyversion/add/", version_form(policy, **overrides))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert field in errors
    assert any(char.isdigit() for char in " ".join(errors[field]))  # the message names the minimum
    assert not PolicyVersion.objects.exists()


def test_contract_terms_accept_any_positive_numbers(admin_client):
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CONTRACT)
    response = admin_client.post(
        "/admin/warranty/policyversion/add/",
        version_form(policy, whole_unit_months=6, whole_unit_usage="", sanbao_months="", sanbao_usage=""),
    )
    assert response.status_code == 302


def test_overlapping_versions_are_refused_by_the_database(db):
    from datetime import date

    from django.db import IntegrityError

    from warranty.tests.factories import version_from_preset

    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CONTRACT)
    version_from_preset(policy, "contract", effective_from=date(2026, 1, 1))
    with pytest.raises(IntegrityError):
        version_from_preset(policy, "contract", version=2, effective_from=date(2026, 6, 1))


def test_add_form_prefills_a_preset(admin_client):
    response = admin_client.get("/admin/warranty/policyversion/add/?preset=car_2021")
    initial = response.context["adminform"].form.initial
    assert (initial["whole_unit_months"], initial["whole_unit_usage"]) == (36, 60000)
    assert (initial["sanbao_months"], initial["sanbao_usage"]) == (24, 50000)


def test_car_assembly_period_shorter_than_repair_period_is_refused(admin_client):
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CAR_2021)
    data = version_form(policy) | {
        "component_terms-TOTAL_FORMS": "1",
        "component_terms-0-code": "engine",
        "component_terms-0-kind": "assembly",
        "component_terms-0-months": "12",
        "component_terms-0-system": "engine",
    }
    response = admin_client.post("/admin/warranty/policyversion/add/", data)
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert not PolicyVersion.objects.exists()
    data["component_terms-0-months"] = "96"  # an 8-year battery promise is more than the law asks
    assert admin_client.post("/admin/warranty/policyversion/add/", data).status_code == 302
