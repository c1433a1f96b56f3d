"""What a policy-version draft would change, before it is saved: coverage and the 三包 entitlement of sample
units under the terms in force now and under the draft, side by side (the coverage and entitlement services
with the draft's values, nothing stored)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q
from django.utils.translation import gettext as _

from warranty import coverage as coverage_module
from warranty import engine
from warranty.models import PolicyVersion, Unit

SAMPLE_SIZE = 5


@dataclass
class Side:
    covered: bool | None
    reason: str
    periods: list[dict]
    rules: list[dict]
    version: str


@dataclass
class Row:
    unit: Unit
    current: Side
    draft: Side
    draft_applies: bool
    changed: bool

    @property
    def sides(self) -> tuple[Side, Side]:
        return self.current, self.draft


def sample_units(version: PolicyVersion, serial: str = "") -> tuple[list[Unit], str]:
    """The typed serial's unit (first), then a few registered units under the version's policy."""
    units: list[Unit] = []
    error = ""
    base = Unit.objects.select_related("product_model", "product_model__policy", "policy")
    if serial:
        found = base.filter(serial="".join(serial.split()).upper()).first()
        if found is None:
            error = _("No registered unit has the serial %(serial)s.") % {"serial": serial}
        else:
            units.append(found)
    if version.policy_id:
        policy_q = Q(policy_id=version.policy_id) | Q(policy__isnull=True, product_model__policy_id=version.policy_id)
        others = base.filter(policy_q).exclude(pk__in=[u.pk for u in units]).order_by("-invoice_date")
        units += list(others[:SAMPLE_SIZE])
    return units, error


def version_label(basis: dict) -> str:
    number = f"v{basis['version']}" if basis["version"] else _("this draft")
    return f"{number} ({basis['effective_from']})"


def _side(answer: dict, evaluation, error: str = "") -> Side:
    basis = answer.get("basis")
    reason = answer["reason"]["message"] if answer.get("reason") else ""
    return Side(
        covered=answer["covered"] if basis else None,
        reason=error or reason,
        periods=[
            {"label": p["label"], "start": p["start"], "end": p["end"], "usage_limit": p["usage_limit"]}
            for p in answer["periods"]
        ],
        rules=[
            {"rule": result.rule, "options": ", ".join(result.options), "explanation": result.explanation}
            for result in (evaluation.results if evaluation else ())
        ][:2],
        version=version_label(basis) if basis else "",
    )


def _judge(unit: Unit, *, on: date, component: str, draft: coverage_module.Draft | None) -> Side:
    answer = coverage_module.coverage(unit, on=on, usage=unit.usage_reading, component=component, draft=draft)
    fault = engine.Fault(component=component)
    try:
        _basis, evaluation = coverage_module.evaluate_unit(
            unit, claim_date=on, usage=unit.usage_reading, fault=fault, draft=draft
        )
    except engine.EngineError as error:
        return _side(answer, None, str(error))
    return _side(answer, evaluation)


def preview(draft_version: PolicyVersion, terms: engine.Terms, *, on: date, serial: str = "", component: str = ""):
    """(rows, error): for each sample unit, the current answer, the draft's, and whether the draft would
    apply to it at all (a version judges the units whose warranty starts while it is in force)."""
    units, error = sample_units(draft_version, serial)
    draft = coverage_module.Draft(version=draft_version, terms=terms)
    rows = []
    for unit in units:
        current = _judge(unit, on=on, component=component, draft=None)
        proposed = _judge(unit, on=on, component=component, draft=draft)
        try:
            start = engine.start_date(terms, coverage_module.unit_facts(unit))
        except engine.EngineError:
            start = None
        applies = (
            start is not None
            and draft_version.effective_from is not None
            and draft_version.effective_from <= start
            and (draft_version.effective_to is None or start < draft_version.effective_to)
        )
        changed = (current.covered, current.periods, current.rules) != (
            proposed.covered,
            proposed.periods,
            proposed.rules,
        )
        rows.append(Row(unit=unit, current=current, draft=proposed, draft_applies=applies, changed=changed))
    return rows, error
