"""The admin's warranty policies: labelled fields from the schema (no JSON), statutory bounds with messages
naming them and the allowed range, a new policy from a preset on one page, new versions closing the previous
one, frozen versions once cases used them, and the preview before saving."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from warranty import engine
from warranty.engine.presets import OPTION_DEFAULTS, REGIME_PARAMS
from warranty.models import PolicyComponentTerm, PolicyVersion, WarrantyPolicy
from warranty.policy_forms import initial_from_terms
from warranty.tests.factories import PolicyFactory, ProductModelFactory, UnitFactory, version_from_preset

pytestmark = pytest.mark.django_db

ADD = "/admin/warranty/policyversion/add/"


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("admin", is_staff=True, is_superuser=True, language="en"))
    return client


def posted(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, list | tuple):
        return ",".join(value)
    return str(value)


def version_form(preset: str, policy=None, components=(), **overrides):
    """The POST of the version page: the preset's values in the schema's fields (as the page shows them)."""
    data = {key: posted(value) for key, value in initial_from_terms(engine.preset(preset)).items()}
    data = {key: value for key, value in data.items() if value != ""}
    data |= {
        "version": "",
        "effective_from": "2026-01-01",
        "parts_pricing": "list",
        "labour_rate": "10",
        "component_terms-TOTAL_FORMS": str(len(components)),
        "component_terms-INITIAL_FORMS": "0",
    }
    if policy is not None:
        data["policy"] = policy.pk
    else:
        data |= {"policy_code": "NEW1", "policy_name": "新政策"}
    for index, row in enumerate(components):
        data |= {f"component_terms-{index}-{name}": posted(value) for name, value in row.items()}
    return {key: value for key, value in (data | overrides).items() if value is not None}


def test_version_page_has_a_labelled_field_per_parameter_and_no_json(admin_client):
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CAR_2021)
    response = admin_client.get(f"{ADD}?policy={policy.pk}")
    form = response.context["adminform"].form
    assert "params" not in form.fields and "options" not in form.fields
    for key in REGIME_PARAMS["car_2021"]:
        assert f"param_{key}" in form.fields
    field = form.fields["param_cumulative_repair_days"]
    assert "(days)" in str(field.label)
    assert "statutory maximum 30" in field.help_text and "Allowed: 1 to 30 days" in field.help_text
    assert "statutory minimum 36" in form.fields["whole_unit_months"].help_text
    assert form.fields["option_car_24_2_counting"].choices == [
        ("per_assembly", "per assembly"),
        ("all", "all assemblies together"),
    ]


def test_statutory_policy_version_is_saved_with_every_key_of_the_regime(admin_client):
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CAR_2021)
    data = version_form("car_2021", policy) | {"param_unknown_key": "5", "param_early_days": "90"}
    response = admin_client.post(f"{ADD}?policy={policy.pk}", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    version = PolicyVersion.objects.get(policy=policy)
    assert version.version == 1
    assert set(version.params) == set(REGIME_PARAMS["car_2021"])  # nothing else can be stored
    assert version.params["early_days"] == 90
    assert version.params["usage_fee_rate"] == "0.005"
    assert set(version.options) == set(OPTION_DEFAULTS)


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"whole_unit_months": "24"}, "whole_unit_months", ["statutory minimum is 36 months", "36 or more"]),
        ({"whole_unit_usage": "50000"}, "whole_unit_usage", ["statutory minimum is 60000 km"]),
        ({"sanbao_months": "12"}, "sanbao_months", ["statutory minimum is 24 months"]),
        ({"param_refund_days": "5"}, "param_refund_days", ["statutory minimum is 7 days", "7 or more days"]),
        ({"param_usage_fee_rate": "0.01"}, "param_usage_fee_rate", ["statutory maximum is 0.005", "0 to 0.005"]),
        ({"param_same_problem_repairs": "6"}, "param_same_problem_repairs", ["maximum is 4", "1 to 4 repairs"]),
    ],
)
def test_sub_statutory_car_terms_are_refused_naming_the_bound_and_range(admin_client, overrides, field, words):
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CAR_2021)
    response = admin_client.post(f"{ADD}?policy={policy.pk}", version_form("car_2021", policy, **overrides))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert field in errors, errors
    for word in words:
        assert word in " ".join(errors[field])
    assert "Allowed:" in " ".join(errors[field])
    assert not PolicyVersion.objects.exists()


def test_car_2013_fee_factor_is_a_band(admin_client):
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CAR_2013)
    response = admin_client.post(
        f"{ADD}?policy={policy.pk}", version_form("car_2013", policy, param_usage_fee_rate="0.004")
    )
    message = " ".join(response.context["adminform"].form.errors["param_usage_fee_rate"])
    assert "statutory minimum is 0.005" in message and "0.005 to 0.008" in message


def test_phone_bounds_follow_the_product_rules(admin_client):
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CONSUMER_GOODS)
    response = admin_client.post(
        f"{ADD}?policy={policy.pk}", version_form("mobile_phone", policy, param_parts_wait_days="70")
    )
    assert "statutory maximum is 60 days" in " ".join(
        response.context["adminform"].form.errors["param_parts_wait_days"]
    )
    response = admin_client.post(
        f"{ADD}?policy={policy.pk}",
        version_form("mobile_phone", policy, param_parts_wait_days="70", param_product_rules="catalogue"),
    )
    assert response.status_code == 302


def test_contract_terms_accept_any_positive_numbers(admin_client):
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CONTRACT)
    response = admin_client.post(f"{ADD}?policy={policy.pk}", version_form("contract", policy, whole_unit_months="6"))
    assert response.status_code == 302
    response = admin_client.post(
        f"{ADD}?policy={policy.pk}",
        version_form("contract", policy, whole_unit_months="0", effective_from="2027-01-01"),
    )
    assert "Allowed: 1 or more months" in " ".join(response.context["adminform"].form.errors["whole_unit_months"])


def test_overlapping_versions_are_refused_by_the_database(db):
    from django.db import IntegrityError

    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CONTRACT)
    version_from_preset(policy, "contract", effective_from=date(2026, 1, 1))
    with pytest.raises(IntegrityError):
        version_from_preset(policy, "contract", version=2, effective_from=date(2026, 6, 1))


def test_new_policy_starts_from_a_preset_with_its_first_version_and_components(admin_client):
    chooser = admin_client.get("/admin/warranty/warrantypolicy/add/")
    assert f"{ADD}?preset=mobile_phone" in chooser.content.decode()
    assert admin_client.get("/admin/warranty/warrantypolicy/add/?preset=mobile_phone").url == (
        f"{ADD}?preset=mobile_phone"
    )
    page = admin_client.get(f"{ADD}?preset=mobile_phone")
    form = page.context["adminform"].form
    assert form.initial["whole_unit_months"] == 12
    assert form.initial["param_loaner_after_days"] == 7
    assert form.fields["param_parts_wait_days"].initial == 60
    formset = page.context["inline_admin_formsets"][0].formset
    assert [f.initial["code"] for f in formset.forms] == ["battery", "charger", "headset"]

    components = [
        {"code": c.code, "kind": c.kind, "months": c.months} for c in engine.preset("mobile_phone").components
    ]
    response = admin_client.post(f"{ADD}?preset=mobile_phone", version_form("mobile_phone", components=components))
    assert response.status_code == 302, response.context["adminform"].form.errors
    policy = WarrantyPolicy.objects.get(code="NEW1")
    assert policy.regime == "consumer_goods"
    version = policy.versions.get()
    assert version.params["product_rules"] == "mobile_phone"
    assert sorted(version.component_terms.values_list("code", "months")) == [
        ("battery", 6),
        ("charger", 12),
        ("headset", 3),
    ]


def test_goods_whole_unit_below_a_year_names_the_minimum(admin_client):
    data = version_form("catalogue_goods", whole_unit_months="6")
    response = admin_client.post(f"{ADD}?preset=catalogue_goods", data)
    message = " ".join(response.context["adminform"].form.errors["whole_unit_months"])
    assert "statutory minimum is 12 months (goods 三包 rules 1995)" in message
    assert not WarrantyPolicy.objects.filter(code="NEW1").exists()


def test_phone_battery_below_six_months_is_refused_with_the_component_rows(admin_client):
    data = version_form("mobile_phone", components=[{"code": "battery", "kind": "special_part", "months": 3}])
    response = admin_client.post(f"{ADD}?preset=mobile_phone", data)
    errors = response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert "at least 6 months" in " ".join(errors)


def test_new_version_copies_the_current_one_and_closes_it_the_day_before(admin_client):
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CONSUMER_GOODS)
    current = version_from_preset(policy, "mobile_phone", effective_from=date(2025, 1, 1))
    page = admin_client.get(f"{ADD}?from={current.pk}")
    form = page.context["adminform"].form
    assert form.initial["policy"] == policy.pk
    assert form.initial["param_loaner_after_days"] == 7
    assert form.initial["effective_from"].day == 1 and form.initial["effective_from"] > timezone.localdate()
    assert len(page.context["inline_admin_formsets"][0].formset.forms) == 3

    rows = [{"code": t.code, "kind": t.kind, "months": t.months} for t in current.component_terms.all()]
    data = version_form("mobile_phone", policy, components=rows, effective_from="2026-07-01", whole_unit_months="18")
    response = admin_client.post(f"{ADD}?from={current.pk}", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    current.refresh_from_db()
    new = policy.versions.get(version=2)
    assert current.effective_to == date(2026, 7, 1)  # exclusive: the last day of the old one is 30 June
    assert (new.effective_from, new.effective_to, new.whole_unit_months) == (date(2026, 7, 1), None, 18)
    assert new.component_terms.count() == 3


def test_a_new_version_cannot_start_before_the_one_it_follows(admin_client):
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CONTRACT)
    current = version_from_preset(policy, "contract", effective_from=date(2026, 1, 1))
    data = version_form("contract", policy, effective_from="2025-06-01")
    response = admin_client.post(f"{ADD}?from={current.pk}", data)
    errors = response.context["adminform"].form.errors
    message = " ".join(errors.get("effective_from", [])) or errors
    assert "overlap version 1 (2026-01-01 – …)" in message
    assert policy.versions.count() == 1


def test_preview_shows_current_and_draft_side_by_side_without_saving(admin_client):
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CONSUMER_GOODS)
    version = version_from_preset(policy, "catalogue_goods", effective_from=date(2020, 1, 1))
    today = timezone.localdate()
    unit = UnitFactory(
        product_model=ProductModelFactory(policy=policy), invoice_date=today - timedelta(days=240), price=Decimal(9)
    )
    url = f"/admin/warranty/policyversion/{version.pk}/change/"
    rows = [
        {"code": "picture_tube", "kind": "main_part", "months": 36},
        {"code": "filter", "kind": "wear_part", "months": 6},
    ]
    data = version_form("catalogue_goods", policy, components=rows, effective_from="2020-01-01") | {
        "_preview": "1",
        "preview_component": "filter",
        "preview_serial": unit.serial.lower(),
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    preview = response.context["preview"]
    assert not preview["error"]
    row = preview["rows"][0]
    assert row.unit == unit
    assert row.current.covered is True  # the whole unit's year, the filter has no own period yet
    assert row.draft.covered is False  # eight months old: past the draft's six months for the filter
    assert row.changed and row.draft_applies
    assert "preview-table" in response.content.decode()
    assert not PolicyComponentTerm.objects.filter(version=version, code="filter").exists()
    version.refresh_from_db()
    assert version.whole_unit_months == 12


def test_policy_page_lists_its_versions_with_component_terms_and_the_new_version_link(admin_client):
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CONSUMER_GOODS)
    old = version_from_preset(policy, "mobile_phone", effective_from=date(2024, 1, 1), effective_to=date(2025, 1, 1))
    current = version_from_preset(policy, "mobile_phone", version=2, effective_from=date(2025, 1, 1))
    body = admin_client.get(f"/admin/warranty/warrantypolicy/{policy.pk}/change/").content.decode()
    assert "battery (6)" in body and "headset (3)" in body
    assert f"{ADD}?from={current.pk}" in body and f"?from={old.pk}" not in body
    listing = admin_client.get("/admin/warranty/policyversion/")
    assert listing.status_code == 200
    response = admin_client.post(
        "/admin/warranty/policyversion/",
        {"action": "new_version_action", "_selected_action": [old.pk, current.pk]},
    )
    assert response.url == f"{ADD}?from={current.pk}"


def test_version_add_page_without_a_policy_or_preset_asks_for_a_preset(admin_client):
    assert admin_client.get(ADD).url == "/admin/warranty/warrantypolicy/add/"


def test_preview_samples_the_policys_registered_units(admin_client):
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CONSUMER_GOODS)
    version = version_from_preset(policy, "catalogue_goods", effective_from=date(2020, 1, 1))
    model = ProductModelFactory(policy=policy)
    today = timezone.localdate()
    old_unit = UnitFactory(product_model=model, invoice_date=today - timedelta(days=400))
    new_unit = UnitFactory(product_model=model, invoice_date=today - timedelta(days=30))
    UnitFactory()  # another policy's unit is not sampled
    data = version_form("catalogue_goods", policy, effective_from="2020-01-01", whole_unit_months="24") | {
        "_preview": "1"
    }
    response = admin_client.post(f"/admin/warranty/policyversion/{version.pk}/change/", data)
    rows = {row.unit: row for row in response.context["preview"]["rows"]}
    assert set(rows) == {old_unit, new_unit}
    assert (rows[old_unit].current.covered, rows[old_unit].draft.covered) == (False, True)  # 13 months old
    assert rows[old_unit].changed
    assert rows[new_unit].current.covered and rows[new_unit].draft.covered
    response = admin_client.post(
        f"/admin/warranty/policyversion/{version.pk}/change/", data | {"preview_serial": "NOSUCH"}
    )
    assert "No registered unit has the serial NOSUCH." in response.content.decode()


# -- the policy's page is the one place: its versions, the chosen version's terms and component terms ----------


def policy_page(policy, version, components=(), **overrides):
    """The POST of the policy's page: the policy's fields, its versions' list, the chosen version's form."""
    versions = list(policy.versions.all())
    data = {
        "code": policy.code,
        "name": policy.name,
        "description": policy.description,
        "visit_plan": policy.visit_plan or "",
        "versions-TOTAL_FORMS": str(len(versions)),
        "versions-INITIAL_FORMS": str(len(versions)),
        "_continue": "1",
    }
    for index, other in enumerate(versions):
        data |= {f"versions-{index}-id": str(other.pk), f"versions-{index}-policy": str(policy.pk)}
    start = version.effective_from.isoformat()
    data |= version_form(
        "catalogue_goods" if policy.regime == "consumer_goods" else policy.regime,
        policy,
        components=components,
        effective_from=start,
        version=str(version.version),
    )
    return {key: value for key, value in (data | overrides).items() if value is not None}


def test_policy_page_edits_the_chosen_version_and_its_component_terms_in_one_save(admin_client):
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CONSUMER_GOODS)
    old = version_from_preset(policy, "catalogue_goods", effective_from=date(2020, 1, 1), effective_to=date(2025, 1, 1))
    draft = version_from_preset(policy, "catalogue_goods", version=2, effective_from=date(2025, 1, 1))
    url = f"/admin/warranty/warrantypolicy/{policy.pk}/change/"
    page = admin_client.get(url)
    editor = page.context["version_editor"]
    assert editor.version == draft and not editor.frozen  # the newest version, editable here
    assert "param_refund_days" in editor.form.fields and "policy" not in editor.form.fields
    body = page.content.decode()
    assert 'name="whole_unit_months"' in body and 'name="component_terms-TOTAL_FORMS"' in body
    assert f"?version={old.pk}" in body and "preview-button" in body

    assert admin_client.get(f"{url}?version={old.pk}").context["version_editor"].version == old

    rows = [{"code": "filter", "kind": "wear_part", "months": 6}]
    response = admin_client.post(
        f"{url}?version={draft.pk}", policy_page(policy, draft, rows, whole_unit_months="18", name="改名")
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    assert response.url.endswith(f"?version={draft.pk}")
    draft.refresh_from_db()
    policy.refresh_from_db()
    assert (policy.name, draft.whole_unit_months) == ("改名", 18)
    assert list(draft.component_terms.values_list("code", "months")) == [("filter", 6)]


def test_policy_page_refuses_the_whole_save_when_the_version_is_wrong(admin_client):
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CONSUMER_GOODS, name="旧名")
    draft = version_from_preset(policy, "catalogue_goods", effective_from=date(2025, 1, 1))
    url = f"/admin/warranty/warrantypolicy/{policy.pk}/change/"
    response = admin_client.post(url, policy_page(policy, draft, whole_unit_months="6", name="新名"))
    assert response.status_code == 200
    errors = response.context["version_editor"].form.errors
    assert "statutory minimum is 12 months" in " ".join(errors["whole_unit_months"])
    assert "Version 1 was not saved" in response.content.decode()
    policy.refresh_from_db()
    draft.refresh_from_db()
    assert (policy.name, draft.whole_unit_months) == ("旧名", 12)


def test_policy_page_component_terms_are_checked_against_the_statute(admin_client):
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CONSUMER_GOODS)
    draft = version_from_preset(policy, "mobile_phone", effective_from=date(2025, 1, 1))
    rows = [{"code": "battery", "kind": "special_part", "months": 3}]
    data = policy_page(policy, draft, rows) | {"param_product_rules": "mobile_phone"}
    response = admin_client.post(f"/admin/warranty/warrantypolicy/{policy.pk}/change/", data)
    assert response.status_code == 200
    formset = response.context["version_editor"].formsets[0]
    assert "at least 6 months" in " ".join(formset.non_form_errors())
    assert draft.component_terms.filter(code="battery", months=6).exists()


# -- two admins adding versions at once: the no-overlap constraint answers with a message -------------------


def test_service_turns_the_no_overlap_refusal_into_a_stable_error():
    from aftersales.errors import ApplicationError
    from warranty.services.policies import save_policy_version

    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CONTRACT)
    version_from_preset(policy, "contract", effective_from=date(2026, 1, 1))
    fields = {"start_event": "invoice", "whole_unit_months": 12, "params": {}, "options": {}}
    save_policy_version(version=PolicyVersion(policy=policy, effective_from=date(2027, 1, 1), **fields), components=[])
    # The second admin's form was checked before the first saved: open-ended from mid-2026.
    with pytest.raises(ApplicationError) as refused:
        save_policy_version(
            version=PolicyVersion(policy=policy, effective_from=date(2026, 6, 1), **fields), components=[]
        )
    assert refused.value.code == "policy_version_overlap"
    assert "2026-06-01 – …" in str(refused.value.message)
    assert policy.versions.count() == 2


def overlapping_row_before_the_insert(policy, start):
    """Another admin's version stored between the form's checks and the insert of this one."""
    from django.db.models.signals import pre_save

    def receiver(sender, instance, **kwargs):
        if instance.pk is None and instance.effective_from == start:
            pre_save.disconnect(receiver, sender=PolicyVersion)
            version_from_preset(policy, "contract", version=9, effective_from=date(2027, 1, 1))

    pre_save.connect(receiver, sender=PolicyVersion, weak=False)
    return receiver


def test_version_page_shows_the_overlap_message_instead_of_a_500(admin_client):
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CONTRACT)
    current = version_from_preset(policy, "contract", effective_from=date(2026, 1, 1))
    overlapping_row_before_the_insert(policy, date(2026, 6, 1))
    response = admin_client.post(
        f"{ADD}?from={current.pk}", version_form("contract", policy, effective_from="2026-06-01")
    )
    assert response.status_code == 200
    message = " ".join(response.context["adminform"].form.errors["effective_from"])
    assert "Another version of this policy was saved meanwhile" in message
    assert "Another version of this policy was saved meanwhile" in response.content.decode()
    current.refresh_from_db()
    assert current.effective_to is None  # nothing of the refused save stayed
    assert set(policy.versions.values_list("version", flat=True)) == {1}


def test_policy_page_shows_the_overlap_message_instead_of_a_500(admin_client):
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CONTRACT)
    current = version_from_preset(policy, "contract", effective_from=date(2026, 1, 1))
    url = f"/admin/warranty/warrantypolicy/{policy.pk}/change/"

    def receiver(sender, instance, **kwargs):
        if instance.pk == current.pk:
            pre_save.disconnect(receiver, sender=PolicyVersion)
            # meanwhile: the other admin's version, and a change of this one's dates the form did not see
            PolicyVersion.objects.filter(pk=current.pk).update(effective_to=date(2026, 3, 1))
            version_from_preset(policy, "contract", version=2, effective_from=date(2026, 3, 1))

    from django.db.models.signals import pre_save

    pre_save.connect(receiver, sender=PolicyVersion, weak=False)
    response = admin_client.post(url, policy_page(policy, current, effective_from="2026-01-01"))
    assert response.status_code == 200
    message = " ".join(response.context["version_editor"].form.errors["effective_from"])
    assert "Another version of this policy was saved meanwhile" in message
