"""The automatic checks of a submission. Each result is stored with what it found (``params``) and, when it
failed, the reason code it proposes to the reviewer. A failed check never blocks a submission.

The checks reuse the warranty app's rules: registration within 20 days of the sale
(``is_registered_late``), coverage on the fault date at the usage reading (``coverage``), the 三包
entitlement engine for the remedy claimed (``evaluate_unit``), and the price list on the repair date
(``part_price_on``). Messages are rendered when read, in the reader's language.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from claims import transitions
from claims.models import Claim, ClaimCheck, ClaimLine, ClaimSubmission, DocumentKind, ReasonCode
from claims.services.common import business_date
from tickets.models import RepairOrder
from tickets.services.repairs import source_key as case_source_key
from warranty import coverage as warranty_coverage
from warranty import engine
from warranty.models import RepairRecord
from warranty.services.units import is_registered_late

REGISTRATION = "registration"
PERIOD = "period"
ENTITLEMENT = "entitlement"
LABOUR_HOURS = "labour_hours"
PART_PRICE = "part_price"
DUPLICATE = "duplicate"
DEADLINE = "deadline"
DOCUMENTS = "documents"
CHECK_CODES = (REGISTRATION, PERIOD, ENTITLEMENT, LABOUR_HOURS, PART_PRICE, DUPLICATE, DEADLINE, DOCUMENTS)

# Rules that mean "excluded cause" (sanbao.md: CAR-X32, CAR13-X32, G-X, K-X).
EXCLUSION_RULES = ("CAR-X32", "CAR13-X32", "G-X", "K-X")


def check_label(code: str) -> str:
    return {
        REGISTRATION: _("Registered within 20 days of sale"),
        PERIOD: _("Within the period for the date and usage"),
        ENTITLEMENT: _("三包 entitlement supports the remedy"),
        LABOUR_HOURS: _("Hours within the flat-rate time"),
        PART_PRICE: _("Price within the price list"),
        DUPLICATE: _("Not a duplicate"),
        DEADLINE: _("Submitted within the deadline"),
        DOCUMENTS: _("Required documents present"),
    }.get(code, code)


def check_message(code: str, outcome: str, params: dict) -> str:
    """What a stored check found, in the active language."""
    variant = params.get("variant", outcome)
    messages = {
        (REGISTRATION, "passed"): _("Sold on %(invoice_date)s, registered on %(registered_on)s."),
        (REGISTRATION, "late"): _(
            "Sold on %(invoice_date)s but registered on %(registered_on)s, after the due day %(due)s."
        ),
        (REGISTRATION, "no_sale_date"): _("The unit has no sale (invoice) date; its registration cannot be checked."),
        (PERIOD, "passed"): _("Covered on %(on)s at a usage of %(usage)s."),
        (PERIOD, "failed"): _("Not covered on %(on)s: %(reason)s"),
        (ENTITLEMENT, "passed"): _("Rules %(rules)s allow %(remedies)s."),
        (ENTITLEMENT, "failed"): _("Rules %(rules)s allow %(options)s, not %(remedies)s."),
        (ENTITLEMENT, "no_answer"): _("The entitlement engine gave no answer: %(reason)s"),
        (LABOUR_HOURS, "passed"): _("%(hours)s h within the flat rate of %(standard)s h."),
        (LABOUR_HOURS, "failed"): _("%(hours)s h claimed, the flat rate is %(standard)s h."),
        (LABOUR_HOURS, "no_rate"): _("No flat-rate time for operation %(operation)s on model %(model)s."),
        (PART_PRICE, "passed"): _("%(price)s within the list price %(list_price)s on %(day)s."),
        (PART_PRICE, "failed"): _("%(price)s claimed, the list price on %(day)s is %(list_price)s."),
        (PART_PRICE, "unknown"): _("Part %(part_number)s is not on the price list on %(day)s."),
        (DUPLICATE, "passed"): _("No other claim on this unit for problem %(problem_code)s within %(days)s days."),
        (DUPLICATE, "failed"): _("Earlier claims on this unit for problem %(problem_code)s: %(numbers)s."),
        (DEADLINE, "passed"): _("Submitted on %(submitted_on)s, due by %(due)s."),
        (DEADLINE, "failed"): _("Submitted on %(submitted_on)s, after the deadline %(due)s."),
        (DOCUMENTS, "passed"): _("Every required document is attached."),
        (DOCUMENTS, "failed"): _("Missing: %(missing)s."),
    }
    template = messages.get((code, variant)) or messages.get((code, outcome), "")
    values = dict(params)
    if code == DOCUMENTS and "missing" in values:
        values["missing"] = ", ".join(str(DocumentKind(kind).label) for kind in values["missing"])
    for key in ("rules", "options", "remedies", "numbers"):
        if isinstance(values.get(key), list):
            values[key] = ", ".join(values[key]) or "—"
    try:
        return template % values
    except (KeyError, TypeError, ValueError):
        return template


class Checker:
    """Runs every check of one submission and collects the rows to store."""

    def __init__(
        self, claim: Claim, lines: list[ClaimLine], submission: ClaimSubmission, *, now: datetime, documents: set
    ):
        self.claim = claim
        self.present = set(documents)
        self.lines = lines
        self.submission = submission
        self.now = now
        self.rows: list[ClaimCheck] = []
        self.reasons = {reason.code: reason for reason in ReasonCode.objects.filter(is_active=True)}

    def add(self, code: str, passed: bool, params: dict, *, reason: str = "", line: ClaimLine | None = None):
        self.rows.append(
            ClaimCheck(
                claim=self.claim,
                submission=self.submission,
                line=line,
                code=code,
                outcome=ClaimCheck.Outcome.PASSED if passed else ClaimCheck.Outcome.FAILED,
                proposed_reason=None if passed else self.reasons.get(reason),
                params={
                    key: str(value) if not isinstance(value, list | dict | int | None) else value
                    for key, value in params.items()
                },
            )
        )

    def run(self) -> list[ClaimCheck]:
        for check in (
            self.registration,
            self.period,
            self.entitlement,
            self.labour,
            self.parts,
            self.duplicate,
            self.deadline,
            self.documents,
        ):
            check()
        return ClaimCheck.objects.bulk_create(self.rows)

    def registration(self) -> None:
        unit = self.claim.unit
        registered_on = business_date(unit.registered_at)
        if unit.invoice_date is None:
            self.add(REGISTRATION, False, {"variant": "no_sale_date"}, reason="not_registered")
            return
        late = is_registered_late(invoice_date=unit.invoice_date, registered_on=registered_on)
        params = {
            "invoice_date": unit.invoice_date.isoformat(),
            "registered_on": registered_on.isoformat(),
            "due": (unit.invoice_date + timedelta(days=20)).isoformat(),
        }
        if late:
            params["variant"] = "late"
        self.add(REGISTRATION, not late, params, reason="not_registered")

    def period(self) -> None:
        claim = self.claim
        answer = warranty_coverage.coverage(
            claim.unit, on=claim.fault_date, usage=claim.usage, component=claim.component
        )
        params = {"on": claim.fault_date.isoformat(), "usage": claim.usage if claim.usage is not None else "—"}
        reason = "warranty_expired"
        if not answer["covered"]:
            found = answer.get("reason") or {}
            params["reason"] = str(found.get("message", ""))
            params["reason_code"] = found.get("code", "")
            reason = {
                warranty_coverage.USAGE_EXCEEDED: "usage_over_limit",
                warranty_coverage.REGISTRATION_LATE: "not_registered",
            }.get(found.get("code"), "warranty_expired")
        self.add(PERIOD, answer["covered"], params, reason=reason)

    def entitlement(self) -> None:
        claim = self.claim
        remedies = list(claim.claim_type.remedies)
        fault = engine.Fault(
            problem_code=claim.problem_code, serious_safety=claim.serious_safety, component=claim.component
        )
        own = case_repair_record(claim)
        history = tuple(
            warranty_coverage.repair_to_engine(record)
            for record in claim.unit.repairs.exclude(pk=own.pk if own else None).order_by("confirmed_at", "id")
        )
        try:
            # Stored in the product's language: the rule ids are the record, the text is for reading.
            with translation.override(settings.LANGUAGE_CODE):
                basis, evaluation = warranty_coverage.evaluate_unit(
                    claim.unit, claim_date=claim.fault_date, usage=claim.usage, fault=fault, history=history
                )
        except engine.EngineError as error:
            self.add(ENTITLEMENT, False, {"variant": "no_answer", "reason": str(error), "remedies": remedies})
            return
        if evaluation is None:
            self.add(
                ENTITLEMENT,
                False,
                {"variant": "no_answer", "reason": str(basis.message), "remedies": remedies},
                reason="warranty_expired",
            )
            return
        results = [
            {"rule": r.rule, "options": list(r.options), "charge": r.charge, "explanation": r.explanation}
            for r in evaluation.results
        ]
        options = list(dict.fromkeys(option for r in evaluation.results for option in r.options))
        supported = bool(set(options) & set(remedies))
        rules = [r["rule"] for r in results]
        excluded = any(rule in EXCLUSION_RULES for rule in rules)
        self.add(
            ENTITLEMENT,
            supported,
            {
                "regime": evaluation.regime,
                "rules": rules,
                "options": options,
                "remedies": remedies,
                "results": results,
            },
            reason="excluded_cause" if excluded else "warranty_expired",
        )

    def labour(self) -> None:
        for line in self.lines:
            if line.kind != ClaimLine.Kind.LABOUR:
                continue
            params = {"hours": line.hours, "standard": line.standard_hours}
            if line.standard_hours is None:
                params.update(
                    variant="no_rate",
                    operation=line.operation.code if line.operation else "—",
                    model=self.claim.unit.product_model.code,
                )
                self.add(LABOUR_HOURS, False, params, reason="excessive_labour", line=line)
            else:
                self.add(LABOUR_HOURS, line.hours <= line.standard_hours, params, reason="excessive_labour", line=line)

    def parts(self) -> None:
        day = business_date(self.claim.repair_agreed_at).isoformat()
        for line in self.lines:
            if line.kind != ClaimLine.Kind.PART:
                continue
            params = {"price": line.unit_price, "list_price": line.list_price, "day": day}
            if line.list_price is None:
                params.update(variant="unknown", part_number=line.part_number)
                self.add(PART_PRICE, False, params, reason="price_over_list", line=line)
            else:
                self.add(PART_PRICE, line.unit_price <= line.list_price, params, reason="price_over_list", line=line)

    def duplicate(self) -> None:
        claim = self.claim
        days = claim.programme.duplicate_window_days
        earlier = (
            Claim.objects.filter(
                unit_id=claim.unit_id,
                problem_code=claim.problem_code,
                fault_date__gte=claim.fault_date - timedelta(days=days),
                fault_date__lte=claim.fault_date + timedelta(days=days),
            )
            .exclude(pk=claim.pk)
            .exclude(Q(status=transitions.WITHDRAWN) | Q(status=transitions.DRAFT))
            .order_by("fault_date", "id")
            .values_list("number", flat=True)[:10]
        )
        numbers = list(earlier)
        params = {"problem_code": claim.problem_code, "days": days, "numbers": numbers}
        self.add(DUPLICATE, not numbers, params, reason="duplicate_claim")

    def deadline(self) -> None:
        claim = self.claim
        # Measured at the first submission: a claim returned for information is not late for the review time.
        submitted_on = business_date(claim.submitted_at or self.now)
        due = business_date(claim.repair_completed_at) + timedelta(days=claim.programme.submission_days)
        params = {"submitted_on": submitted_on.isoformat(), "due": due.isoformat()}
        self.add(DEADLINE, submitted_on <= due, params, reason="submitted_too_late")

    def documents(self) -> None:
        claim = self.claim
        required = set(
            claim.programme.required_documents.filter(claim_type=claim.claim_type).values_list("kind", flat=True)
        )
        present = set(self.present)
        if claim.ticket_id and RepairOrder.objects.filter(ticket_id=claim.ticket_id).exists():
            # The case's customer-signed repair order is the signed repair record.
            present.add("repair_record")
        missing = sorted(required - present)
        self.add(DOCUMENTS, not missing, {"missing": missing}, reason="missing_documents")


def case_repair_record(claim: Claim) -> RepairRecord | None:
    """The repair record the claim's case wrote for this repair, if any: a resolved case writes exactly one,
    under its source key (``tickets.services.repairs.source_key``)."""
    if not claim.ticket_id:
        return None
    return RepairRecord.objects.filter(source_key=case_source_key(claim.ticket)).first()


def run_checks(claim: Claim, lines: list[ClaimLine], submission: ClaimSubmission, *, now: datetime, documents: set):
    """``documents``: the kinds of the claim's attachments."""
    return Checker(claim, lines, submission, now=now, documents=documents).run()
