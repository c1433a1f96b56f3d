"""The maker's side of a claim: line-by-line decisions, return for information, the dealer's one appeal to a
different reviewer, spot checks, the repair record of an approved claim, and escalation of overdue reviews."""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.errors import ConflictError
from aftersales.roles import Role
from claims import permissions, transitions
from claims.models import Claim, ClaimLine, ReasonCode
from claims.services.checks import case_repair_record
from claims.services.claims import own_claim, refresh_totals
from claims.services.common import check_transition, claim_event, invalid, lock_claim, money
from claims.services.notifications import claim_notify, dealer_recipients, maker_recipients
from warranty.models import RepairRecord
from warranty.services.units import repair_record_create

APPEAL_USED = "appeal_used"
APPEAL_SAME_REVIEWER = "appeal_needs_other_reviewer"
NOTHING_TO_APPEAL = "nothing_to_appeal"
LINE_SETTLED = "line_settled"
NOTE_REQUIRED = "note_required"
BATCH = 200

APPROVE, REDUCE, REJECT = "approve", "reduce", "reject"
DECISIONS = {
    APPROVE: ClaimLine.Decision.APPROVED,
    REDUCE: ClaimLine.Decision.REDUCED,
    REJECT: ClaimLine.Decision.REJECTED,
}


def outcome_title(claim: Claim) -> str:
    return _("Claim %(number)s: %(status)s, %(approved)s of %(claimed)s approved") % {
        "number": claim.number,
        "status": transitions.STATUS_LABELS[claim.status],
        "approved": claim.approved_total,
        "claimed": claim.claimed_total,
    }


def _reasons() -> dict[str, ReasonCode]:
    return {reason.code: reason for reason in ReasonCode.objects.filter(is_active=True)}


def _apply_decisions(claim: Claim, to_decide: list[ClaimLine], decisions: list[dict], *, actor, now) -> list[dict]:
    """Check that every line under review has exactly one valid decision, then record them."""
    by_id = {line.pk: line for line in to_decide}
    given: dict[int, dict] = {}
    errors: dict[str, list[str]] = {}
    reasons = _reasons()
    for index, item in enumerate(decisions):
        problems = []
        line = by_id.get(item.get("line"))
        if line is None:
            problems.append(_("No line %s under review on this claim.") % item.get("line"))
        elif line.pk in given:
            problems.append(_("Line %s is decided twice.") % line.position)
        decision = item.get("decision")
        if decision not in DECISIONS:
            problems.append(_("Approve, reduce or reject."))
        reason = reasons.get(item.get("reason") or "")
        if decision in (REDUCE, REJECT) and reason is None:
            problems.append(_("A reduction or a rejection needs a reason code."))
        if decision == REDUCE and line is not None:
            amount = item.get("amount")
            if amount is None or amount < 0 or money(amount) >= line.claimed_amount:
                problems.append(_("A reduced amount is at least 0 and less than the %s claimed.") % line.claimed_amount)
        if problems:
            errors[str(index)] = problems
        elif line is not None:
            given[line.pk] = {**item, "reason": reason}
    missing = [line.position for line in to_decide if line.pk not in given]
    if missing and not errors:
        errors["missing"] = [_("Decide every line under review; missing: %s.") % ", ".join(map(str, missing))]
    if errors:
        raise invalid({"decisions": errors}, _("The decisions are not complete or not possible."))
    recorded = []
    for line in to_decide:
        item = given[line.pk]
        decision = DECISIONS[item["decision"]]
        line.decision = decision
        line.approved_amount = {
            ClaimLine.Decision.APPROVED: line.claimed_amount,
            ClaimLine.Decision.REDUCED: money(item.get("amount") or 0),
            ClaimLine.Decision.REJECTED: Decimal(0),
        }[decision]
        line.reason = item["reason"] if decision != ClaimLine.Decision.APPROVED else None
        line.decision_note = item.get("note", "")
        line.decided_by = actor
        line.decided_at = now
        recorded.append(
            {
                "line": line.position,
                "decision": decision,
                "amount": str(line.approved_amount),
                "reason": line.reason.code if line.reason else "",
                "note": line.decision_note,
            }
        )
    ClaimLine.objects.bulk_update(
        to_decide, ["decision", "approved_amount", "reason", "decision_note", "decided_by", "decided_at"]
    )
    return recorded


@transaction.atomic
def claim_decide(
    *, claim: Claim, actor, expected_version: int, decisions: list[dict], note: str = "", now: datetime | None = None
) -> Claim:
    """Decide a claim under review line by line: approve, reduce (amount and reason) or reject (reason).
    The claim ends approved, partly approved or rejected. An appeal is decided by a reviewer other than the
    first one, on the appealed lines only. The decision is made on ``expected_version``: a stale one is a
    412 and changes nothing. An approved repair enters the unit's repair records once; a share of approved
    claims is picked for spot check; the dealer is told."""
    now = now or timezone.now()
    permissions.require(permissions.can_review(actor), _("Only claims reviewers decide claims."))
    claim = lock_claim(claim, expected_version)
    check_transition("decide", claim)
    appeal = claim.status == transitions.APPEALED
    lines = list(claim.lines.select_related("reason").order_by("position"))
    if appeal:
        if claim.reviewer_id == actor.pk:
            raise ConflictError(
                APPEAL_SAME_REVIEWER, _("An appeal is decided by a reviewer other than the one who decided first.")
            )
        to_decide = [line for line in lines if line.appealed]
    else:
        to_decide = [line for line in lines if line.decision == ClaimLine.Decision.PENDING]
    recorded = _apply_decisions(claim, to_decide, decisions, actor=actor, now=now)
    before = claim.status
    claim.status = transitions.outcome([line.decision for line in lines])
    refresh_totals(claim)
    claim.decided_at = now
    if appeal:
        claim.appeal_reviewer = actor
    else:
        claim.reviewer = actor
        claim.spot_check = claim.status != transitions.REJECTED and picked_for_spot_check(
            claim.number, claim.programme.spot_check_percent
        )
    claim.review_due_at = None
    claim.version += 1
    claim.updated_at = now
    claim.save()
    if claim.status != transitions.REJECTED and claim.repair_record_id is None:
        claim.repair_record = repair_record_for_claim(claim, lines, actor=actor, now=now)
        claim.save(update_fields=["repair_record"])
    claim_event(
        claim,
        actor=actor,
        kind="appeal_decided" if appeal else "decided",
        from_state=before,
        to_state=claim.status,
        at=now,
        data={
            "version": expected_version,
            "lines": recorded,
            "note": note,
            "approved_total": str(claim.approved_total),
            "spot_check": claim.spot_check,
        },
    )
    claim_notify(
        recipient_ids=dealer_recipients(claim.dealer_id),
        kind="claim_decided",
        object_id=claim.pk,
        title=lambda: outcome_title(claim),
        body=lambda: note,
        now=now,
    )
    return claim


def picked_for_spot_check(number: str, percent: Decimal) -> bool:
    """A claim is picked when its number falls in the programme's share: stable (the same claim is always
    picked or not) and spread evenly over claims."""
    digest = int(hashlib.sha256(number.encode()).hexdigest()[:8], 16) % 10000
    return digest < int(Decimal(percent) * 100)


def repair_record_for_claim(claim: Claim, lines: list[ClaimLine], *, actor, now: datetime) -> RepairRecord:
    """The unit's repair record that carries an approved claim's repair, so the engine counts it next time.

    A claim started from a case does not add a second record when the case wrote its own: that record is
    found (``checks.case_repair_record``) and used. Otherwise the claim's repair enters the history through
    the one write path, ``repair_record_create``, with ``source=claim``."""
    found = case_repair_record(claim)
    if found is not None:
        return found
    approved = [line for line in lines if line.decision in (ClaimLine.Decision.APPROVED, ClaimLine.Decision.REDUCED)]
    return repair_record_create(
        actor=actor,
        unit=claim.unit,
        source=RepairRecord.Source.CLAIM,
        # One record per claim: a claim decided again (after an appeal) updates it, never adds a second.
        source_key=f"claim:{claim.pk}",
        confirmed_at=claim.repair_agreed_at,
        completed_at=claim.repair_completed_at,
        usage=claim.usage,
        problem_code=claim.problem_code,
        serious_safety=claim.serious_safety,
        component=claim.component,
        handed_in_at=claim.repair_agreed_at,
        fault_description=claim.fault_description,
        repair_items="; ".join(line.description for line in lines if line.kind == ClaimLine.Kind.LABOUR),
        replaced_parts=[
            {
                "part_number": line.part_number,
                "name": line.part_name,
                "quantity": str(line.quantity),
                "serial": line.old_part_serial,
            }
            for line in lines
            if line.kind == ClaimLine.Kind.PART
        ],
        material_cost=sum((line.approved_amount for line in approved if line.kind == ClaimLine.Kind.PART), Decimal(0)),
        labour_cost=sum((line.approved_amount for line in approved if line.kind == ClaimLine.Kind.LABOUR), Decimal(0)),
        towing="; ".join(line.description for line in lines if line.cost_kind == ClaimLine.CostKind.TOWING)[:200],
        substitute_unit="; ".join(
            line.description for line in lines if line.cost_kind == ClaimLine.CostKind.SUBSTITUTE_CAR
        )[:200],
        now=now,
    )


@transaction.atomic
def claim_return(*, claim: Claim, actor, expected_version: int, note: str, now: datetime | None = None) -> Claim:
    """Return a submitted claim to the dealer for information; the note says what is needed."""
    now = now or timezone.now()
    permissions.require(permissions.can_review(actor), _("Only claims reviewers return claims."))
    if not note.strip():
        raise invalid({"note": [_("Say what information is needed.")]})
    claim = lock_claim(claim, expected_version)
    check_transition("return", claim)
    before = claim.status
    claim.status = transitions.RETURNED
    claim.review_due_at = None
    claim.version += 1
    claim.updated_at = now
    claim.save()
    claim_event(
        claim,
        actor=actor,
        kind="return",
        from_state=before,
        to_state=claim.status,
        at=now,
        data={"version": expected_version, "note": note},
    )
    claim_notify(
        recipient_ids=dealer_recipients(claim.dealer_id),
        kind="claim_returned",
        object_id=claim.pk,
        title=lambda: _("Claim %s returned for information") % claim.number,
        body=lambda: note,
        now=now,
    )
    return claim


@transaction.atomic
def claim_appeal(
    *,
    claim: Claim,
    actor,
    expected_version: int,
    reason: str,
    lines: list[int] | None = None,
    now: datetime | None = None,
) -> Claim:
    """The dealer appeals (复议) rejected or reduced lines once; a different reviewer decides the appeal by
    its own review deadline."""
    now = now or timezone.now()
    own_claim(actor, claim)
    if not reason.strip():
        raise invalid({"reason": [_("Say why the decision should change.")]})
    claim = lock_claim(claim, expected_version)
    check_transition("appeal", claim)
    if claim.appeal_count >= 1:
        raise ConflictError(APPEAL_USED, _("This claim was appealed once already."))
    contested = {
        line.pk: line
        for line in claim.lines.select_related("settlement").filter(
            decision__in=[ClaimLine.Decision.REJECTED, ClaimLine.Decision.REDUCED]
        )
    }
    chosen = list(contested) if not lines else list(dict.fromkeys(lines))
    unknown = [pk for pk in chosen if pk not in contested]
    if unknown:
        raise invalid({"lines": [_("Only rejected or reduced lines of this claim can be appealed.")]})
    if not chosen:
        raise ConflictError(NOTHING_TO_APPEAL, _("Nothing on this claim was rejected or reduced."))
    if any(hasattr(contested[pk], "settlement") for pk in chosen):
        raise ConflictError(LINE_SETTLED, _("A settled line cannot be appealed."))
    ClaimLine.objects.filter(pk__in=chosen).update(appealed=True)
    before = claim.status
    claim.status = transitions.APPEALED
    claim.appeal_count += 1
    claim.appealed_at = now
    claim.appeal_reason = reason
    claim.review_due_at = now + timezone.timedelta(days=claim.programme.review_days)
    claim.escalated_at = None
    claim.version += 1
    claim.updated_at = now
    claim.save()
    claim_event(
        claim,
        actor=actor,
        kind="appeal",
        from_state=before,
        to_state=claim.status,
        at=now,
        data={"lines": sorted(contested[pk].position for pk in chosen), "reason": reason},
    )
    claim_notify(
        recipient_ids=maker_recipients(Role.CLAIMS_REVIEWER, exclude=[claim.reviewer_id] if claim.reviewer_id else []),
        kind="claim_appealed",
        object_id=claim.pk,
        title=lambda: _("Claim %s appealed: a second review is needed") % claim.number,
        body=lambda: reason,
        now=now,
    )
    return claim


def line_reject(line: ClaimLine, *, reason_code: str, actor, now: datetime, note: str = "") -> None:
    """Reject one line outside a review (an old part not returned, or not the claimed part); the claim row
    is locked by the caller. A decided claim's status and totals follow."""
    claim = line.claim
    line.decision = ClaimLine.Decision.REJECTED
    line.approved_amount = Decimal(0)
    line.reason = ReasonCode.objects.get(code=reason_code)
    line.decision_note = note
    line.decided_by = actor
    line.decided_at = now
    line.save(update_fields=["decision", "approved_amount", "reason", "decision_note", "decided_by", "decided_at"])
    before = claim.status
    if claim.status in transitions.DECIDED:
        claim.status = transitions.outcome(list(claim.lines.values_list("decision", flat=True)))
    refresh_totals(claim)
    claim.version += 1
    claim.updated_at = now
    claim.save()
    claim_event(
        claim,
        actor=actor,
        kind="line_rejected",
        from_state=before,
        to_state=claim.status,
        at=now,
        data={"line": line.position, "reason": reason_code, "note": note},
    )


def claims_escalate_overdue(*, now: datetime) -> int:
    """Claims not reviewed by their deadline go to the programme's escalation role (the reviewers' manager),
    once per review round: batches locked with SKIP LOCKED, so overlapping runs share the work."""
    escalated = 0
    while True:
        with transaction.atomic():
            batch = list(
                Claim.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("programme", "dealer")
                .filter(status__in=transitions.UNDER_REVIEW, escalated_at__isnull=True, review_due_at__lt=now)
                .order_by("review_due_at", "id")[:BATCH]
            )
            if not batch:
                return escalated
            for claim in batch:
                Claim.objects.filter(pk=claim.pk).update(escalated_at=now)
                claim_event(
                    claim,
                    actor=None,
                    kind="review_overdue",
                    at=now,
                    data={"due": claim.review_due_at.isoformat(), "to": claim.programme.escalate_to},
                )
                claim_notify(
                    recipient_ids=maker_recipients(claim.programme.escalate_to),
                    kind="claim_review_overdue",
                    object_id=claim.pk,
                    title=lambda claim=claim: (
                        _("Claim %(number)s not reviewed by %(due)s")
                        % {
                            "number": claim.number,
                            "due": timezone.localtime(claim.review_due_at).strftime("%Y-%m-%d %H:%M"),
                        }
                    ),
                    body=lambda claim=claim: (
                        _("%(dealer)s, claimed %(total)s.")
                        % {"dealer": claim.dealer.name, "total": claim.claimed_total}
                    ),
                    now=now,
                )
            escalated += len(batch)
