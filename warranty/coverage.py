"""From stored units, policies and repairs to the entitlement engine's inputs, and the answers built on it.

Reading one unit's coverage costs a fixed number of queries however long its history: the unit with its
model and policy, the contract in force, the policy's versions with their component terms, and the repairs.

A policy's versions and the engine terms built from them change only when an admin edits them, yet every
coverage answer (each new case, each coverage request) would read and rebuild them. The database keeps a
stamp that every write to policies, versions and component terms replaces (statement triggers, migration
``0005``); the versions kept for a policy under the stamp read now are used as they are, so the next answer
after an edit by any path reads them again and nothing stale is ever used. Callers that read the unit can
read the stamp in the same query (``Unit.objects.annotate(policy_stamp=STAMP)``); otherwise it costs a query
of its own, in place of the versions'. Without a stamp (the table emptied) nothing is kept. The versions
kept are shared by the requests of one process and only read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from dataclasses import fields as dataclass_fields
from datetime import date, timedelta

from django.contrib.postgres.aggregates import JSONBAgg
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import DecimalField, F, Func, OuterRef, Q, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Cast, JSONObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.stamps import UNREAD, StampedCache
from warranty import engine
from warranty.calendar import business_zone, is_working_day
from warranty.models import PolicyVersion, RepairRecord, ServiceContract, Unit, WarrantyPolicy

PERIOD_LABELS = {
    "repair_period": gettext_lazy("包修期 (free repair period)"),
    "sanbao_period": gettext_lazy("三包有效期 (refund / exchange period)"),
    "whole_unit": gettext_lazy("whole-unit warranty"),
    "return_window": gettext_lazy("return window"),
    "exchange_window": gettext_lazy("exchange window"),
    "early_window": gettext_lazy("early-failure window"),
}

OUT_RULES = {"car_2021": "CAR-OUT", "car_2013": "CAR13-OUT", "consumer_goods": "G-OUT", "contract": "K-OUT"}

NO_POLICY = "no_policy"
NO_START_DATE = "no_start_date"
NO_POLICY_VERSION = "no_policy_version"
NOT_STARTED = "not_started"
USAGE_EXCEEDED = "usage_limit_exceeded"
PERIOD_ENDED = "period_ended"
REGISTRATION_LATE = "registration_late"


# Each policy's versions and engine terms, kept under the policy-terms stamp (a few dozen policies in practice).
_versions = StampedCache("warranty_policytermsstamp")
# The stamp as a column of the query that reads the unit: ``Unit.objects.annotate(policy_stamp=STAMP)``.
STAMP = _versions.column
current_stamp = _versions.current
forget = _versions.forget


def with_coverage_reads(units: QuerySet[Unit]) -> QuerySet[Unit]:
    """Units with what their coverage reads besides the unit itself, in the query that finds them: the
    policy-terms stamp (``policy_stamp``), the ids of the service contracts the unit is in (``contract_ids``:
    for most units none, and then no contract in force is looked for) and its repairs as rows
    (``repair_rows``, made into records by :func:`unit_history`). Two round trips and two ORM queries fewer
    for every coverage answer and every case opened on a unit."""
    return units.annotate(
        policy_stamp=STAMP,
        contract_ids=ArraySubquery(
            ServiceContract.units.through.objects.filter(unit_id=OuterRef("pk")).values("servicecontract_id")
        ),
        repair_rows=Subquery(
            RepairRecord.objects.filter(unit_id=OuterRef("pk"))
            .order_by()
            .values("unit_id")
            .annotate(rows=JSONBAgg(Func(*_REPAIR_VALUES, function="jsonb_build_array"), order_by=REPAIR_ORDER))
            .values("rows")
        ),
    )


# The repairs in the engine's order, with the columns the engine reads (those named as engine.Repair's
# fields, which repair_to_engine copies; the others are left deferred), each as a JSON value its field reads
# back exactly (a decimal as its text: a JSON number would come back as a float).
REPAIR_ORDER = ("confirmed_at", "id")
_REPAIR_FIELDS = [  # in the model's order, as from_db() takes a subset of its fields
    field
    for field in RepairRecord._meta.concrete_fields
    if field.name in {"id", "unit", *(item.name for item in dataclass_fields(engine.Repair))}
]
_REPAIR_VALUES = [
    Cast(field.attname, TextField()) if isinstance(field, DecimalField) else F(field.attname)
    for field in _REPAIR_FIELDS
]


def _repairs_from_rows(rows) -> list[RepairRecord]:
    names = [field.attname for field in _REPAIR_FIELDS]
    return [
        RepairRecord.from_db(
            None, names, [field.to_python(value) for field, value in zip(_REPAIR_FIELDS, row, strict=True)]
        )
        for row in rows or ()
    ]


def period_label(name: str) -> str:
    if name.startswith("component:"):
        return _("component %s") % name.split(":", 1)[1]
    return str(PERIOD_LABELS.get(name, name))


def versions_with_terms(policy: WarrantyPolicy) -> Iterator[PolicyVersion]:
    """A policy's versions, newest first, each with its component terms aggregated in the same query."""
    component = {name: f"component_terms__{name}" for name in ("code", "kind", "months", "usage_limit", "system")}
    versions = (
        PolicyVersion.objects.filter(policy=policy)
        .annotate(
            component_json=JSONBAgg(JSONObject(**component), filter=Q(component_terms__isnull=False), default=Value([]))
        )
        .order_by("-effective_from")
    )
    for version in versions:
        version.policy = policy
        yield version


Versions = tuple[tuple[PolicyVersion, engine.Terms], ...]


def policy_versions(policy: WarrantyPolicy, *, stamp: str | None = UNREAD) -> Versions:
    """The policy's versions, newest first, each with its engine terms: the process's copy when it was read
    under ``stamp`` (the policy-terms stamp read with the unit, or read here when not given), else read now
    (and kept when there is a stamp). The versions returned are shared: read them, never change them."""
    return _versions.get(
        policy.pk, stamp, lambda: tuple((version, version_terms(version)) for version in versions_with_terms(policy))
    )


def version_terms(version: PolicyVersion) -> engine.Terms:
    if hasattr(version, "component_json"):
        components = [engine.ComponentTerm(**item) for item in sorted(version.component_json, key=lambda c: c["code"])]
    else:
        components = [
            engine.ComponentTerm(code=t.code, kind=t.kind, months=t.months, usage_limit=t.usage_limit, system=t.system)
            for t in version.component_terms.all()
        ]
    return engine.Terms(
        regime=version.policy.regime,
        start_event=version.start_event,
        whole_unit_months=version.whole_unit_months,
        whole_unit_usage=version.whole_unit_usage,
        sanbao_months=version.sanbao_months,
        sanbao_usage=version.sanbao_usage,
        components=tuple(components),
        params=dict(version.params),
        options=dict(version.options),
        exclusions=tuple(version.exclusions),
    )


def unit_facts(unit: Unit) -> engine.UnitFacts:
    return engine.UnitFacts(
        invoice_date=unit.invoice_date,
        delivery_date=unit.delivery_date,
        installation_date=unit.installation_date,
        acceptance_date=unit.acceptance_date,
        replaced_on=unit.replaced_on,
        price=unit.price,
    )


def repair_to_engine(record: RepairRecord) -> engine.Repair:
    return engine.Repair(
        confirmed_at=record.confirmed_at,
        completed_at=record.completed_at,
        usage=record.usage,
        problem_code=record.problem_code,
        quality_problem=record.quality_problem,
        serious_safety=record.serious_safety,
        assemblies_replaced=tuple(record.assemblies_replaced),
        main_parts_replaced=tuple(
            (item.get("system", ""), item.get("part", "")) for item in record.main_parts_replaced
        ),
        excluded_hours=record.excluded_hours,
        parts_wait_hours=record.parts_wait_hours,
        parts_wait_party=record.parts_wait_party,
        component=record.component,
    )


@dataclass(frozen=True)
class Basis:
    """Which terms judge a unit: the policy, its version, and the contract that attached it (if any)."""

    policy: WarrantyPolicy | None
    version: PolicyVersion | None
    contract: ServiceContract | None
    terms: engine.Terms | None
    facts: engine.UnitFacts
    start: date | None
    reason: str = ""
    message: str = ""


def version_in_force(
    policy: WarrantyPolicy, facts: engine.UnitFacts, *, start_event: str | None = None, stamp: str | None = UNREAD
):
    """(version, terms, start) of the policy version in force at the start date the facts give, or None.
    ``start_event`` overrides the versions' own (a service contract starts on its own start date). ``stamp``:
    the policy-terms stamp read with the unit (see :func:`policy_versions`). Raises EngineError when the facts
    give no start date."""
    for version, terms in policy_versions(policy, stamp=stamp):
        if start_event:
            terms = replace(terms, start_event=start_event)
        start = engine.start_date(terms, facts)
        if version.effective_from <= start and (version.effective_to is None or start < version.effective_to):
            return version, terms, start
    return None


def no_version_message(policy: WarrantyPolicy) -> str:
    return _("No version of policy %s was in force when this unit's warranty started.") % policy.code


@dataclass(frozen=True)
class Draft:
    """Terms not saved yet (the admin's preview): the unit is judged by them instead of its stored policy's
    versions. ``version`` is the unsaved PolicyVersion (with its policy) the terms come from."""

    version: PolicyVersion
    terms: engine.Terms


def resolve_basis(unit: Unit, *, on: date, draft: Draft | None = None) -> Basis:
    """A service contract in force on ``on`` wins over the unit's own policy, which wins over its model's.
    The version is the one in force at the unit's start date (for a contract: the contract's start).
    With a ``draft``, its terms judge the unit whatever version would be in force."""
    # A unit read with_coverage_reads() says which contracts it is in: in none, none is in force.
    in_contracts = getattr(unit, "contract_ids", None)
    contract = (
        ServiceContract.objects.filter(units=unit, starts_on__lte=on, ends_on__gte=on)
        .select_related("policy")
        .order_by("-starts_on", "-id")
        .first()
        if in_contracts is None or in_contracts
        else None
    )
    facts = unit_facts(unit)
    policy = contract.policy if contract else (unit.policy or unit.product_model.policy)
    if policy is None and draft is None:
        return Basis(
            policy=None,
            version=None,
            contract=contract,
            terms=None,
            facts=facts,
            start=None,
            reason=NO_POLICY,
            message=_("No warranty policy applies to this unit."),
        )
    if contract:
        # A service contract's terms run from the contract's own start (periods end with it, see coverage()).
        facts = replace(facts, invoice_date=contract.starts_on, delivery_date=None, replaced_on=None)
    try:
        if draft is not None:
            policy = draft.version.policy
            terms = replace(draft.terms, start_event="invoice") if contract else draft.terms
            found = (draft.version, terms, engine.start_date(terms, facts))
        else:
            found = version_in_force(
                policy,
                facts,
                start_event="invoice" if contract else None,
                stamp=getattr(unit, "policy_stamp", UNREAD),
            )
    except engine.EngineError:
        return Basis(
            policy=policy,
            version=None,
            contract=contract,
            terms=None,
            facts=facts,
            start=None,
            reason=NO_START_DATE,
            message=_("The unit has no date its warranty could start from."),
        )
    if found is None:
        return Basis(
            policy=policy,
            version=None,
            contract=contract,
            terms=None,
            facts=facts,
            start=None,
            reason=NO_POLICY_VERSION,
            message=no_version_message(policy),
        )
    version, terms, start = found
    return Basis(policy=policy, version=version, contract=contract, terms=terms, facts=facts, start=start)


def within_contract(periods: dict[str, engine.Period], contract: ServiceContract | None, *, on: date):
    """Under a service contract no period runs past the contract's end."""
    if contract is None:
        return periods
    clamped = {}
    for name, period in periods.items():
        if period.end > contract.ends_on:
            period = replace(period, end=contract.ends_on, active=period.active and on <= contract.ends_on)
        clamped[name] = period
    return clamped


def unit_history(unit: Unit) -> tuple[engine.Repair, ...]:
    """The unit's repairs for the engine: those read with the unit (``with_coverage_reads``), else read now."""
    if hasattr(unit, "repair_rows"):
        records = _repairs_from_rows(unit.repair_rows)
    else:
        records = unit.repairs.order_by(*REPAIR_ORDER)
    return tuple(repair_to_engine(record) for record in records)


def period_json(period: engine.Period) -> dict:
    return {
        "name": period.name,
        "label": period_label(period.name),
        "start": period.start,
        "end": period.end,
        "usage_limit": period.usage_limit,
        "active": period.active,
    }


def refuses_late_registration(basis: Basis, unit: Unit) -> bool:
    return bool(unit.registered_late and basis.version and basis.version.refuse_sanbao_if_registered_late)


def coverage(
    unit: Unit,
    *,
    on: date,
    usage: int | None,
    component: str = "",
    draft: Draft | None = None,
    basis: Basis | None = None,
) -> dict:
    """Covered or not on ``on`` at ``usage``, on which basis, every period, and why not (under ``draft``'s
    terms when given, see :class:`Draft`). ``basis``: the unit's basis on ``on`` when the caller resolved it
    already (case intake keeps its policy version)."""
    basis = basis or resolve_basis(unit, on=on, draft=draft)
    answer = {
        "serial": unit.serial,
        "on": on,
        "usage": usage,
        "covered": False,
        "basis": None,
        "periods": [],
        "component": None,
        "reason": None,
        "registration": {
            "registered_at": unit.registered_at,
            "late": unit.registered_late,
            "due": unit.invoice_date + timedelta(days=20) if unit.invoice_date else None,
        },
    }
    if basis.terms is None:
        answer["reason"] = {"code": basis.reason, "message": basis.message}
        return answer
    basis_answer = {
        "regime": effective_regime(basis),
        "policy": {"id": basis.policy.pk, "code": basis.policy.code, "name": basis.policy.name},
        "version": basis.version.version,
        "effective_from": basis.version.effective_from,
        "contract": {
            "number": basis.contract.number,
            "starts_on": basis.contract.starts_on,
            "ends_on": basis.contract.ends_on,
        }
        if basis.contract
        else None,
        "start_event": "contract" if basis.contract else basis.terms.start_event,
        "start_date": basis.start,
    }
    if on < basis.start:
        # Before the start no period runs yet (the engine refuses such a date); say so with the basis.
        answer["basis"] = basis_answer
        answer["reason"] = not_started_reason(basis.start)
        return answer
    try:
        periods = engine.compute_periods(
            basis.terms,
            basis.facts,
            on=on,
            usage=usage,
            history=unit_history(unit),
            is_working_day=is_working_day,
            zone=business_zone(),
        )
        periods = within_contract(periods, basis.contract, on=on)
    except engine.EngineError as error:
        answer["reason"] = {"code": error.code, "message": str(error)}
        return answer
    answer["basis"] = basis_answer
    answer["periods"] = [period_json(period) for period in periods.values()]
    main = periods.get("repair_period") or periods.get("whole_unit")
    judged = main
    if component:
        # A component with a period of its own follows it, shorter (a wear part, a battery) or longer (a main
        # part) than the whole unit's, as the engine's rules do; one without follows the whole unit.
        judged = periods.get(f"component:{component}", main)
        answer["component"] = {"code": component, **period_json(judged)}
    covered = bool(judged and judged.active)
    if refuses_late_registration(basis, unit):
        covered = False
        answer["reason"] = {
            "code": REGISTRATION_LATE,
            "message": _("Registered more than 20 days after the sale; the policy refuses 三包."),
        }
    elif not covered and judged is not None:
        answer["reason"] = not_covered_reason(judged, on=on, usage=usage)
    answer["covered"] = covered
    return answer


def effective_regime(basis: Basis) -> str:
    regime = basis.policy.regime
    if (
        regime == "car_2021"
        and basis.start
        and basis.start < date(2022, 1, 1)
        and basis.terms.options.get("regime_by_start_date", True)
    ):
        return "car_2013"
    return regime


def not_started_reason(start: date) -> dict:
    return {
        "code": NOT_STARTED,
        "message": _("The warranty has not started yet (it starts after %s).") % start.isoformat(),
    }


def not_covered_reason(period: engine.Period, *, on: date, usage: int | None) -> dict:
    # The start day itself lies inside every period (start <= on <= end): not covered then means the usage.
    if on < period.start:
        return not_started_reason(period.start)
    if period.usage_limit is not None and usage is not None and usage > period.usage_limit:
        return {
            "code": USAGE_EXCEEDED,
            "message": _("The usage reading %(usage)s is over the limit of %(limit)s.")
            % {"usage": usage, "limit": period.usage_limit},
        }
    if period.name.startswith("component:"):
        message = _("The warranty of component %(code)s ended on %(end)s.") % {
            "code": period.name.removeprefix("component:"),
            "end": period.end.isoformat(),
        }
    else:
        message = _("The warranty period ended on %s.") % period.end.isoformat()
    return {"code": PERIOD_ENDED, "message": message}


def evaluate_unit(
    unit: Unit,
    *,
    claim_date: date,
    usage: int | None,
    fault: engine.Fault,
    history: tuple[engine.Repair, ...] | None = None,
    same_model_available: bool = True,
    draft: Draft | None = None,
) -> tuple[Basis, engine.Evaluation | None]:
    """The engine's answer for a stored unit; ``history`` None means the unit's recorded repairs.

    ``same_model_available``: whether a unit (a car) of the same model can still be had — not stored on the
    unit, since it changes with the market; it decides depreciation on a goods refund and a car_2013 refund."""
    basis = resolve_basis(unit, on=claim_date, draft=draft)
    if basis.terms is None:
        return basis, None
    facts = replace(
        basis.facts, same_model_available=same_model_available, replacement_car_available=same_model_available
    )
    evaluation = engine.evaluate(
        basis.terms,
        facts,
        claim_date=claim_date,
        usage=usage,
        fault=fault,
        history=unit_history(unit) if history is None else history,
        is_working_day=is_working_day,
        zone=business_zone(),
    )
    if refuses_late_registration(basis, unit):
        refusal = engine.RuleResult(
            rule=OUT_RULES[evaluation.regime],
            options=("PAID_REPAIR",),
            charge=engine.types.CHARGE_NOT_APPLICABLE,
            amount=None,
            explanation=_(
                "Registered more than 20 days after the sale: the policy does not recognise 三包 for this unit."
            )
            + " "
            + _("Repairs are paid service."),
        )
        evaluation = replace(evaluation, results=(refusal,))
    return basis, evaluation
