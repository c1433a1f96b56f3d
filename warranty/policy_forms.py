"""The admin's policy-version form, generated from the declared schema (warranty.engine.schema): a labelled
field per period, regime parameter and interpretation option of the policy's regime, with its unit, the
statutory bound and the allowed range beside it. The JSON columns are filled from these fields only, so no
unknown key can be stored."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from warranty import engine
from warranty.engine import schema
from warranty.engine.presets import OPTION_DEFAULTS, REGIME_PARAMS
from warranty.models import PolicyVersion, WarrantyPolicy
from warranty.services.policies import overlapping_versions, version_to_close

PERIOD_FIELDS = ("whole_unit_months", "whole_unit_usage", "sanbao_months", "sanbao_usage")
OTHER_FIELDS = (
    "start_event",
    "exclusions",
    "parts_pricing",
    "labour_rate",
    "labour_cap",
    "refuse_sanbao_if_registered_late",
)
NEW_POLICY_FIELDS = ("policy_code", "policy_name", "policy_description", "policy_visit_plan")


def param_field(key: str) -> str:
    return f"param_{key}"


def option_field(key: str) -> str:
    return f"option_{key}"


def help_text(entry: schema.Entry, values: dict) -> str:
    parts = [str(entry.help)] if entry.help else []
    statutory = schema.statutory_text(entry, values)
    if statutory:
        parts.append(statutory.strip())
    if entry.kind in (schema.INT, schema.DECIMAL):
        parts.append(_("Allowed: %(range)s.") % {"range": schema.bounds_text(entry, values)})
    return " · ".join(parts)


def form_field(entry: schema.Entry, values: dict) -> forms.Field:
    label = entry.label
    if entry.unit and entry.kind in (schema.INT, schema.DECIMAL):
        label = f"{entry.label} ({entry.unit})"
    common = {"label": capfirst(label), "help_text": help_text(entry, values), "required": not entry.optional}
    if entry.kind == schema.INT:
        return forms.IntegerField(**common)
    if entry.kind == schema.DECIMAL:
        return forms.DecimalField(max_digits=8, decimal_places=5, **common)
    if entry.kind == schema.BOOL:
        return forms.BooleanField(**(common | {"required": False}))
    return forms.TypedChoiceField(
        choices=[(value, schema.choice_label(entry.key, value)) for value in entry.choices],
        coerce=str,
        **common,
    )


def json_value(entry: schema.Entry, value):
    """As the JSON column stores it (decimals as strings, as the presets' fields do)."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


class PolicyVersionForm(forms.ModelForm):
    """Built per regime by :func:`version_form_class`; ``regime`` and ``new_policy`` are class attributes."""

    regime = "contract"
    new_policy = False
    refused = None  # the service's refusal of the previous attempt (an ApplicationError), shown on the form

    class Meta:
        model = PolicyVersion
        fields = ["policy", "version", "effective_from", "effective_to", *PERIOD_FIELDS, *OTHER_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance._regime = self.regime
        if self.instance.pk and not self.is_bound:
            self.initial = initial_from_json(self.regime, self.instance.params, self.instance.options) | self.initial
        if "version" in self.fields:
            self.fields["version"].required = False
            self.fields["version"].help_text = _("Empty: the next number.")

    # -- reading the posted values back into the storage format ------------------------------------------

    def schema_values(self) -> dict:
        """The posted parameters (as far as they were read), for the bounds that depend on them."""
        data = getattr(self, "cleaned_data", {})
        return {key: data.get(param_field(key)) for key in REGIME_PARAMS[self.regime]}

    def clean(self):
        cleaned = super().clean()
        definition = schema.SCHEMAS[self.regime]
        params = {}
        for entry in definition.params:
            name = param_field(entry.key)
            if name in self.errors:
                continue
            params[entry.key] = json_value(entry, cleaned.get(name))
        values = self.schema_values()
        for entry in definition.periods + definition.params:
            name = entry.key if entry in definition.periods else param_field(entry.key)
            if name not in self.errors and name in cleaned:
                message = schema.check(entry, cleaned[name], values)
                if message:
                    self.add_error(name, message)
        options = {entry.key: cleaned.get(option_field(entry.key)) for entry in definition.options}
        for entry in definition.options:
            if entry.kind == schema.BOOL:
                options[entry.key] = bool(options[entry.key])
        self.instance.params = params
        self.instance.options = {**OPTION_DEFAULTS, **options}
        for name in PERIOD_FIELDS:
            if name not in self.fields:
                setattr(self.instance, name, None)
        if self.new_policy:
            self._clean_new_policy(cleaned)
        if not self.errors:
            self._check_terms(cleaned)
            self._check_dates(cleaned)
        if self.refused is not None:
            self.add_error(self.refused.details.get("field"), str(self.refused.message))
        return cleaned

    def _clean_new_policy(self, cleaned):
        code = cleaned.get("policy_code")
        if code and WarrantyPolicy.objects.filter(code=code).exists():
            self.add_error("policy_code", _("A policy with the code %(code)s exists already.") % {"code": code})

    def terms(self, cleaned, components=()) -> engine.Terms:
        return engine.Terms(
            regime=self.regime,
            start_event=cleaned.get("start_event") or "invoice",
            whole_unit_months=cleaned.get("whole_unit_months") or 0,
            whole_unit_usage=cleaned.get("whole_unit_usage"),
            sanbao_months=cleaned.get("sanbao_months"),
            sanbao_usage=cleaned.get("sanbao_usage"),
            params=dict(self.instance.params),
            options=dict(self.instance.options),
            exclusions=tuple(cleaned.get("exclusions") or ()),
            components=tuple(components),
        )

    def _check_terms(self, cleaned):
        try:
            problems = engine.validate_terms(self.terms(cleaned))
        except engine.EngineError as error:
            problems = {error.field or "": str(error)}
        for key, message in problems.items():
            if key.startswith("components."):
                continue  # checked with the component rows
            if key in self.fields:
                name = key
            elif param_field(key) in self.fields:
                name = param_field(key)
            elif option_field(key) in self.fields:
                name = option_field(key)
            else:
                name = None
            self.add_error(name, message)

    def _get_validation_exclusions(self):
        # The dates are checked by _check_dates, which knows the version a new one closes (the no-overlap
        # constraint would see the old dates); the database's constraints stay the last word.
        return {*super()._get_validation_exclusions(), "effective_to"}

    def _check_dates(self, cleaned):
        start = cleaned.get("effective_from")
        end = cleaned.get("effective_to")
        if start is not None and end is not None and end <= start:
            self.add_error(
                "effective_to",
                _("The end (exclusive) must be after the start %(start)s.") % {"start": start.isoformat()},
            )
            return
        policy = cleaned.get("policy") or (self.instance.policy if self.instance.policy_id else None)
        if start is None or policy is None:
            return
        if policy.regime != self.regime:
            self.add_error(
                "policy",
                _("Policy %(code)s follows another regime; its versions are made from its own page.")
                % {"code": policy.code},
            )
            return
        self.instance.policy = policy
        closing = None if self.instance.pk else version_to_close(self.instance.policy, start)
        self.instance.effective_from = start
        self.instance.effective_to = cleaned.get("effective_to")
        for other in overlapping_versions(self.instance, closing=closing):
            self.add_error(
                "effective_from",
                _(
                    "These dates overlap version %(version)s (%(start)s – %(end)s). A new version must start "
                    "after the version it replaces started, and end before any later version starts."
                )
                % {
                    "version": other.version,
                    "start": other.effective_from.isoformat(),
                    "end": other.effective_to.isoformat() if other.effective_to else "…",
                },
            )

    def new_policy_fields(self) -> dict | None:
        if not self.new_policy:
            return None
        data = self.cleaned_data
        return {
            "code": data["policy_code"],
            "name": data["policy_name"],
            "regime": self.regime,
            "description": data.get("policy_description") or "",
            "visit_plan": data.get("policy_visit_plan") or "",
        }


def version_form_class(regime: str, *, new_policy: bool = False, initial_params: dict | None = None):
    """A PolicyVersionForm with the fields of ``regime``'s schema; the policy's own fields on a new policy."""
    definition = schema.SCHEMAS[regime]
    values = {**REGIME_PARAMS[regime], **(initial_params or {})}
    attrs: dict = {"regime": regime, "new_policy": new_policy, "__module__": __name__}
    for entry in definition.periods:
        attrs[entry.key] = form_field(entry, values)
    defaults = initial_from_json(regime, initial_params or {}, {})
    for entry in definition.params:
        attrs[param_field(entry.key)] = form_field(entry, values)
        attrs[param_field(entry.key)].initial = defaults[param_field(entry.key)]
    for entry in definition.options:
        attrs[option_field(entry.key)] = form_field(entry, values)
        attrs[option_field(entry.key)].initial = defaults[option_field(entry.key)]
    excluded = [name for name in PERIOD_FIELDS if name not in {e.key for e in definition.periods}]
    fields = [name for name in PolicyVersionForm.Meta.fields if name not in excluded]
    if new_policy:
        fields.remove("policy")
        attrs["policy_code"] = forms.CharField(label=capfirst(gettext_lazy("policy code")), max_length=32)
        attrs["policy_name"] = forms.CharField(label=capfirst(gettext_lazy("policy name")), max_length=200)
        attrs["policy_description"] = forms.CharField(
            label=capfirst(gettext_lazy("description")), required=False, widget=forms.Textarea(attrs={"rows": 2})
        )
        attrs["policy_visit_plan"] = forms.CharField(
            label=capfirst(gettext_lazy("visit plan during warranty")), max_length=32, required=False
        )
    attrs["Meta"] = type("Meta", (PolicyVersionForm.Meta,), {"fields": fields})
    return type(f"PolicyVersionForm_{regime}", (PolicyVersionForm,), attrs)


def initial_from_terms(terms: engine.Terms) -> dict:
    """Form initial values from engine terms (a preset): periods, parameters and options."""
    initial = {
        "start_event": terms.start_event,
        "whole_unit_months": terms.whole_unit_months,
        "whole_unit_usage": terms.whole_unit_usage,
        "sanbao_months": terms.sanbao_months,
        "sanbao_usage": terms.sanbao_usage,
        "exclusions": list(terms.exclusions),
    }
    return initial | initial_from_json(terms.regime, terms.params, terms.options)


def initial_from_json(regime: str, params: dict, options: dict) -> dict:
    """Form initial values from the stored JSON, the regime's defaults filling what is missing."""
    initial = {}
    merged = {**REGIME_PARAMS[regime], **params}
    for key, value in merged.items():
        decimal = key in ("usage_fee_rate", "depreciation_daily_rate")
        initial[param_field(key)] = Decimal(str(value)) if decimal else value
    for key, value in {**OPTION_DEFAULTS, **options}.items():
        initial[option_field(key)] = value
    return initial


def initial_from_version(version: PolicyVersion, *, effective_from: date | None = None) -> dict:
    """A copy of a version's fields for the next one (number and dates left to the new version)."""
    initial = {
        "policy": version.policy_id,
        "start_event": version.start_event,
        **{name: getattr(version, name) for name in PERIOD_FIELDS},
        "exclusions": list(version.exclusions),
        "parts_pricing": version.parts_pricing,
        "labour_rate": version.labour_rate,
        "labour_cap": version.labour_cap,
        "refuse_sanbao_if_registered_late": version.refuse_sanbao_if_registered_late,
        "effective_from": effective_from,
    }
    return initial | initial_from_json(version.policy.regime, version.params, version.options)
