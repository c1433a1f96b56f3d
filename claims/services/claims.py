"""The dealer's side of a claim: create (optionally from a resolved case, optionally submitting at once),
correct, submit and resubmit with the automatic checks, withdraw, attach documents."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import PurePath

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.errors import ApplicationError, ConflictError
from aftersales.scoping import dealer_id_of, scope_for
from claims import permissions, transitions
from claims.models import (
    Claim,
    ClaimAttachment,
    ClaimLine,
    ClaimProgramme,
    ClaimRequestKey,
    ClaimSubmission,
    ClaimType,
    DocumentKind,
    FlatRate,
)
from claims.services.checks import run_checks
from claims.services.common import (
    business_date,
    check_transition,
    check_version,
    claim_event,
    invalid,
    lock_claim,
    money,
    next_number,
)
from dealers.models import Dealer
from tickets import transitions as case_transitions
from tickets.models import RepairOrder, Ticket
from warranty.models import Unit
from warranty.selectors import part_prices_on

DEALER_SUSPENDED = "dealer_suspended"
NO_PROGRAMME = "no_programme"
CASE_NOT_RESOLVED = "case_not_resolved"
CASE_ALREADY_CLAIMED = "case_already_claimed"
NO_LINES = "claim_has_no_lines"
KEY_REUSED = "idempotency_key_reused"
LINE_SHIPPED = "line_part_shipped"
ATTACHMENT_INVALID = "attachment_invalid"
NOT_FOUND = "claim_not_found"

HEADER_FIELDS = (
    "claim_type",
    "problem_code",
    "fault_description",
    "fault_date",
    "component",
    "serious_safety",
    "repair_agreed_at",
    "repair_completed_at",
    "usage",
)
CASE_DONE = (case_transitions.RESOLVED, case_transitions.CONFIRMED, case_transitions.CLOSED)
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# Extension -> (magic bytes the content must start with, content type): the content decides, not the name.
ATTACHMENT_TYPES = {
    ".jpg": (b"\xff\xd8\xff", "image/jpeg"),
    ".jpeg": (b"\xff\xd8\xff", "image/jpeg"),
    ".png": (b"\x89PNG\r\n\x1a\n", "image/png"),
    ".pdf": (b"%PDF-", "application/pdf"),
}


def programme_for(unit: Unit) -> ClaimProgramme:
    """The programme of the unit's product line, else the general one."""
    programme = (
        ClaimProgramme.objects.filter(is_active=True)
        .filter(Q(product_line_id=unit.product_model.product_line_id) | Q(product_line__isnull=True))
        .order_by("product_line_id")  # a product line's own programme before the general one (NULLS LAST)
        .first()
    )
    if programme is None:
        raise ConflictError(NO_PROGRAMME, _("No claim programme applies to this unit; ask an administrator."))
    return programme


def _dealer_of(actor) -> Dealer:
    permissions.require(permissions.can_submit(actor), _("Only a dealer's staff submit claims."))
    dealer = Dealer.objects.get(pk=dealer_id_of(actor))
    if dealer.suspended or not dealer.is_active:
        raise ConflictError(DEALER_SUSPENDED, _("Your dealer is suspended: it cannot submit claims now."))
    return dealer


def own_claim(actor, claim: Claim) -> None:
    """The dealer side acts on its own dealer's claims only (another's answers as not found)."""
    permissions.require(permissions.can_submit(actor), _("Only a dealer's staff change claims."))
    if claim.dealer_id != dealer_id_of(actor):
        raise ApplicationError(NOT_FOUND, _("No such claim."), status=404)


def _check_header(values: dict, *, now: datetime) -> None:
    errors: dict[str, list[str]] = {}
    agreed, completed, fault_date = (values.get(k) for k in ("repair_agreed_at", "repair_completed_at", "fault_date"))
    today = business_date(now)
    if fault_date and fault_date > today:
        errors.setdefault("fault_date", []).append(_("This date is in the future."))
    for name in ("repair_agreed_at", "repair_completed_at"):
        if values.get(name) and values[name] > now:
            errors.setdefault(name, []).append(_("This time is in the future."))
    if agreed and completed and completed < agreed:
        errors.setdefault("repair_completed_at", []).append(_("Completion cannot come before the repair was agreed."))
    if agreed and fault_date and fault_date > business_date(agreed):
        errors.setdefault("fault_date", []).append(_("The fault cannot come after the repair was agreed."))
    if values.get("usage") is not None and values["usage"] < 0:
        errors.setdefault("usage", []).append(_("The usage reading cannot be negative."))
    if errors:
        raise invalid(errors)


def _check_case(actor, ticket: Ticket | None, unit: Unit, *, claim: Claim | None = None) -> None:
    if ticket is None:
        return
    if not scope_for(actor, Ticket.objects.filter(pk=ticket.pk)).exists():
        raise invalid({"ticket": [_("No such case.")]})
    if ticket.unit_id != unit.pk:
        raise invalid({"ticket": [_("The case is about another unit.")]})
    if ticket.status not in CASE_DONE:
        raise ConflictError(CASE_NOT_RESOLVED, _("A claim is started from a resolved case only."))
    live = Claim.objects.filter(ticket=ticket).exclude(status=transitions.WITHDRAWN)
    if claim is not None:
        live = live.exclude(pk=claim.pk)
    if live.exists():
        raise ConflictError(CASE_ALREADY_CLAIMED, _("This case is claimed already."))


def _build_lines(claim: Claim, lines: list[dict], *, dealer: Dealer, start: int = 1) -> list[ClaimLine]:
    """Line rows from input: labour at the dealer's rate with the model's flat-rate time, parts at the price
    list's price on the repair date unless the dealer names one, other costs as claimed."""
    errors: dict[str, dict] = {}
    built = []
    day = business_date(claim.repair_agreed_at)
    rates = {}
    operations = [line["operation"].pk for line in lines if line.get("kind") == "labour" and line.get("operation")]
    if operations:
        rates = dict(
            FlatRate.objects.filter(
                operation_id__in=operations, product_model_id=claim.unit.product_model_id
            ).values_list("operation_id", "hours")
        )
    numbers = {(line.get("part_number") or "").strip().upper() for line in lines if line.get("kind") == "part"}
    prices = part_prices_on(part_numbers=numbers - {""}, day=day) if numbers - {""} else {}
    for index, data in enumerate(lines):
        problems: dict[str, list[str]] = {}
        kind = data.get("kind")
        line = ClaimLine(claim=claim, position=start + index, kind=kind, description=data.get("description") or "")
        if kind == ClaimLine.Kind.LABOUR:
            # The operation may be missing on labour taken over from a case: the flat-rate check then fails.
            operation, hours = data.get("operation"), data.get("hours")
            if operation is None and not line.description:
                problems["operation"] = [_("Choose the labour operation.")]
            if hours is None or hours <= 0:
                problems["hours"] = [_("Give the hours worked (more than 0).")]
            if not problems:
                line.operation = operation
                line.hours = hours
                line.rate = dealer.labour_rate
                line.standard_hours = rates.get(operation.pk) if operation else None
                line.description = line.description or operation.description
                line.claimed_amount = money(hours * dealer.labour_rate)
        elif kind == ClaimLine.Kind.PART:
            part_number = (data.get("part_number") or "").strip().upper()
            quantity = data.get("quantity")
            if not part_number:
                problems["part_number"] = [_("Give the part number.")]
            if quantity is None or quantity <= 0:
                problems["quantity"] = [_("Give the quantity (more than 0).")]
            listed = prices.get(part_number) if part_number else None
            price = data.get("unit_price")
            if price is None and listed is not None:
                price = listed.price
            if part_number and price is None:
                problems["unit_price"] = [_("The part is not on the price list on %s; give its price.") % day]
            if price is not None and price < 0:
                problems["unit_price"] = [_("The price cannot be negative.")]
            if not problems:
                line.part_number = part_number
                line.part_name = data.get("part_name") or (listed.name if listed else "")
                line.quantity = quantity
                line.unit_price = price
                line.list_price = listed.price if listed else None
                line.old_part_serial = data.get("old_part_serial") or ""
                line.return_required = claim.programme.requires_return(part_number)
                line.description = line.description or line.part_name
                line.claimed_amount = money(quantity * price)
        elif kind == ClaimLine.Kind.OTHER:
            amount, cost_kind = data.get("amount"), data.get("cost_kind") or ""
            if cost_kind not in ClaimLine.CostKind.values or not cost_kind:
                problems["cost_kind"] = [_("Choose what the cost is for.")]
            if amount is None or amount < 0:
                problems["amount"] = [_("Give the amount (0 or more).")]
            if not problems:
                line.cost_kind = cost_kind
                line.claimed_amount = money(amount)
                line.description = line.description or str(ClaimLine.CostKind(cost_kind).label)
        else:
            problems["kind"] = [_("A line is labour, a part or another cost.")]
        if problems:
            errors[str(index)] = problems
        built.append(line)
    if errors:
        raise invalid({"lines": errors})
    return built


def refresh_totals(claim: Claim) -> None:
    """The claim's totals from its lines, summed by the database."""
    sums = ClaimLine.objects.filter(claim=claim).aggregate(
        claimed=Coalesce(Sum("claimed_amount"), Value(Decimal(0))),
        approved=Coalesce(Sum("approved_amount"), Value(Decimal(0))),
    )
    claim.claimed_total = sums["claimed"]
    claim.approved_total = sums["approved"]


def _replay(found: ClaimRequestKey, fingerprint: str) -> Claim:
    if found.fingerprint != fingerprint:
        raise ApplicationError(
            KEY_REUSED,
            _("This Idempotency-Key was used for a different request; use a new key for a new request."),
            status=422,
        )
    return found.claim


@transaction.atomic
def claim_create(
    *,
    actor,
    unit: Unit,
    claim_type: ClaimType,
    problem_code: str,
    fault_description: str,
    fault_date,
    repair_agreed_at: datetime,
    repair_completed_at: datetime,
    usage: int | None = None,
    component: str = "",
    serious_safety: bool = False,
    ticket: Ticket | None = None,
    lines: list[dict] | None = None,
    documents: list[tuple[str, object]] = (),
    submit: bool = False,
    idempotency_key: str = "",
    fingerprint: str = "",
    now: datetime | None = None,
) -> tuple[Claim, bool]:
    """A draft claim of the actor's dealer for a unit it sold or serves, with its lines (from the case when
    it is started from one and names none) and ``documents`` ((kind, file) pairs); ``submit`` submits it at
    once. With an ``idempotency_key`` a
    retried request returns the claim the first one created. Returns (claim, created)."""
    now = now or timezone.now()
    dealer = _dealer_of(actor)
    if idempotency_key:
        found = ClaimRequestKey.objects.filter(user=actor, action="create", key=idempotency_key).first()
        if found is not None:
            return _replay(found, fingerprint), False
    if not scope_for(actor, Unit.objects.filter(pk=unit.pk)).exists():
        raise invalid({"unit": [_("No unit with this serial number.")]})
    header = {
        "claim_type": claim_type,
        "problem_code": problem_code.strip(),
        "fault_description": fault_description,
        "fault_date": fault_date,
        "component": component,
        "serious_safety": serious_safety,
        "repair_agreed_at": repair_agreed_at,
        "repair_completed_at": repair_completed_at,
        "usage": usage,
    }
    _check_header(header, now=now)
    _check_case(actor, ticket, unit)
    if ticket is not None and lines is None:
        lines = lines_from_case(ticket)
    try:
        with transaction.atomic():
            claim = Claim.objects.create(
                number=next_number("CL", "claims_claim_number_seq", now),
                dealer=dealer,
                unit=unit,
                ticket=ticket,
                programme=programme_for(unit),
                created_by=actor,
                created_at=now,
                updated_at=now,
                **header,
            )
            rows = ClaimLine.objects.bulk_create(_build_lines(claim, lines or [], dealer=dealer))
            refresh_totals(claim)
            claim.save(update_fields=["claimed_total", "approved_total"])
            claim_event(
                claim,
                actor=actor,
                kind="created",
                to_state=claim.status,
                at=now,
                data={"lines": len(rows), "ticket": ticket.number if ticket else None},
            )
            if idempotency_key:
                ClaimRequestKey.objects.create(
                    user=actor,
                    action="create",
                    key=idempotency_key,
                    fingerprint=fingerprint,
                    claim=claim,
                    created_at=now,
                )
            for kind, file in documents:
                claim_attachment_add(claim=claim, actor=actor, kind=kind, file=file, now=now)
            if documents:
                claim.refresh_from_db()
            if submit:
                # The claim was made in this transaction: no one else sees it yet, so no lock or key to check.
                claim = _submit(claim, actor=actor, action="submit", now=now)
    except IntegrityError:
        # A concurrent request with the same key won the race: answer with its claim.
        found = (
            ClaimRequestKey.objects.filter(user=actor, action="create", key=idempotency_key).first()
            if idempotency_key
            else None
        )
        if found is None:
            if ticket is not None and Claim.objects.filter(ticket=ticket).exclude(status="withdrawn").exists():
                raise ConflictError(CASE_ALREADY_CLAIMED, _("This case is claimed already.")) from None
            raise
        return _replay(found, fingerprint), False
    return claim, True


def lines_from_case(ticket: Ticket) -> list[dict]:
    """A resolved case's parts and labour as claim lines. The case's labour names no operation of the
    catalogue: the dealer picks one, or the flat-rate check says there is none."""
    lines = []
    for charge in ticket.charge_lines.order_by("created_at", "id"):
        if charge.kind == "part":
            lines.append(
                {
                    "kind": "part",
                    "part_number": charge.part_number,
                    "quantity": charge.quantity,
                    "description": charge.description,
                }
            )
        elif charge.kind == "labour":
            lines.append({"kind": "labour", "hours": charge.quantity, "description": charge.description})
    return lines


def case_prefill(ticket: Ticket) -> dict:
    """What a claim started from a case begins with: its unit, fault, repair times, parts and labour, and the
    findings of its customer-signed repair order."""
    order = RepairOrder.objects.filter(ticket=ticket).first()
    return {
        "unit": ticket.unit,
        "fault_description": (f"{order.findings}\n{order.work_done}".strip() if order else "") or ticket.description,
        "fault_date": business_date(ticket.reported_at),
        "repair_agreed_at": ticket.reported_at,
        "repair_completed_at": ticket.resolved_at or ticket.closed_at,
        "usage": ticket.unit.usage_reading if ticket.unit else None,
        "lines": lines_from_case(ticket),
        "signed_order": order,
    }


@transaction.atomic
def claim_update(*, claim: Claim, actor, expected_version: int, lines: list[dict] | None = None, now=None, **changes):
    """Correct a draft or a claim returned for information. ``lines`` (when given) replaces the lines: a
    line given with its ``id`` is changed in place; a line whose old part was shipped cannot be dropped."""
    now = now or timezone.now()
    unknown = set(changes) - set(HEADER_FIELDS)
    if unknown:
        raise TypeError(f"unknown claim fields: {sorted(unknown)}")
    own_claim(actor, claim)
    claim = lock_claim(claim, expected_version)
    if claim.status not in transitions.EDITABLE:
        raise ConflictError(
            "claim_not_editable", _("Only a draft or a claim returned for information can be corrected.")
        )
    merged = {name: getattr(claim, name) for name in HEADER_FIELDS} | changes
    _check_header(merged, now=now)
    for name, value in changes.items():
        setattr(claim, name, value.strip() if name == "problem_code" else value)
    if lines is not None:
        _replace_lines(claim, lines, dealer=claim.dealer)
    refresh_totals(claim)
    claim.version += 1
    claim.updated_at = now
    claim.save()
    claim_event(
        claim,
        actor=actor,
        kind="updated",
        at=now,
        data={"fields": sorted(changes), "lines": None if lines is None else len(lines)},
    )
    return claim


def _replace_lines(claim: Claim, lines: list[dict], *, dealer: Dealer) -> None:
    existing = {line.pk: line for line in claim.lines.select_related("return_item").all()} if claim.pk else {}
    keep = {data["id"] for data in lines if data.get("id")}
    unknown = keep - set(existing)
    if unknown:
        raise invalid({"lines": [_("No line %s on this claim.") % ", ".join(str(pk) for pk in sorted(unknown))]})
    shipped = [pk for pk, line in existing.items() if pk not in keep and hasattr(line, "return_item")]
    if shipped:
        raise ConflictError(LINE_SHIPPED, _("A line whose old part was shipped cannot be removed."))
    built = _build_lines(claim, lines, dealer=dealer, start=1)
    ClaimLine.objects.filter(claim=claim).exclude(pk__in=keep).delete()
    # Positions are unique per claim: move the kept lines out of the way before numbering again.
    ClaimLine.objects.filter(pk__in=keep).update(position=F("position") + 10000)
    fields = [f.name for f in ClaimLine._meta.concrete_fields if f.name not in ("id", "claim")]
    for data, line in zip(lines, built, strict=True):
        if data.get("id"):
            line.pk = data["id"]
            kept = existing[data["id"]]
            # What happened to the old part stays with the line.
            line.return_due_on, line.part_received_at = kept.return_due_on, kept.part_received_at
            ClaimLine.objects.filter(pk=line.pk).update(**{name: getattr(line, name) for name in fields})
        else:
            line.save()


def claim_snapshot(claim: Claim, lines: list[ClaimLine], attachment_names: list[str]) -> dict:
    """The claim as submitted: what the reviewer compares versions by."""
    return {
        "claim_type": claim.claim_type.code,
        "problem_code": claim.problem_code,
        "fault_description": claim.fault_description,
        "fault_date": claim.fault_date.isoformat(),
        "component": claim.component,
        "serious_safety": claim.serious_safety,
        "repair_agreed_at": claim.repair_agreed_at.isoformat(),
        "repair_completed_at": claim.repair_completed_at.isoformat(),
        "usage": claim.usage,
        "claimed_total": str(claim.claimed_total),
        "attachments": sorted(attachment_names),
        "lines": [
            {
                "position": line.position,
                "kind": line.kind,
                "description": line.description,
                "operation": line.operation.code if line.operation_id else "",
                "hours": None if line.hours is None else str(line.hours),
                "part_number": line.part_number,
                "quantity": None if line.quantity is None else str(line.quantity),
                "unit_price": None if line.unit_price is None else str(line.unit_price),
                "old_part_serial": line.old_part_serial,
                "cost_kind": line.cost_kind,
                "claimed_amount": str(line.claimed_amount),
            }
            for line in lines
        ],
    }


def snapshot_changes(before: dict | None, after: dict) -> list[dict]:
    """What changed between two submissions: header fields, and lines by position."""
    if not before:
        return []
    changes = []
    for name, value in after.items():
        if name != "lines" and before.get(name) != value:
            changes.append({"field": name, "from": before.get(name), "to": value})
    old_lines = {line["position"]: line for line in before.get("lines", [])}
    new_lines = {line["position"]: line for line in after["lines"]}
    for position in sorted(set(old_lines) | set(new_lines)):
        old, new = old_lines.get(position), new_lines.get(position)
        if old == new:
            continue
        if old is None:
            changes.append({"line": position, "added": new})
        elif new is None:
            changes.append({"line": position, "removed": old})
        else:
            for name, value in new.items():
                if old.get(name) != value:
                    changes.append({"line": position, "field": name, "from": old.get(name), "to": value})
    return changes


def _submit(claim: Claim, *, actor, action: str, now: datetime) -> Claim:
    check_transition(action, claim)
    lines = list(claim.lines.select_related("operation").order_by("position"))
    if not lines:
        raise ConflictError(NO_LINES, _("A claim needs at least one line before it is submitted."))
    before = claim.status
    claim.submission_count += 1
    claim.submitted_at = claim.submitted_at or now
    previous = claim.submissions.order_by("-number").first() if claim.submission_count > 1 else None
    attachments = list(ClaimAttachment.objects.filter(claim=claim).values_list("original_name", "kind"))
    snapshot = claim_snapshot(claim, lines, [name for name, _kind in attachments])
    submission = ClaimSubmission.objects.create(
        claim=claim,
        number=claim.submission_count,
        submitted_at=now,
        submitted_by=actor,
        snapshot=snapshot,
        changes=snapshot_changes(previous.snapshot if previous else None, snapshot),
    )
    checks = run_checks(claim, lines, submission, now=now, documents={kind for _name, kind in attachments})
    due_on = business_date(claim.submitted_at) + timedelta(days=claim.programme.return_days)
    ClaimLine.objects.filter(claim=claim, return_required=True, return_due_on__isnull=True).update(return_due_on=due_on)
    claim.failed_checks = sorted({check.code for check in checks if not check.passed})
    claim.status = transitions.SUBMITTED
    claim.last_submitted_at = now
    claim.review_due_at = now + timedelta(days=claim.programme.review_days)
    claim.escalated_at = None
    claim.version += 1
    claim.updated_at = now
    claim.save()
    claim_event(
        claim,
        actor=actor,
        kind=action,
        from_state=before,
        to_state=claim.status,
        at=now,
        data={"submission": submission.number, "failed_checks": claim.failed_checks},
    )
    return claim


def _with_key(claim: Claim, *, actor, action: str, key: str, fingerprint: str, now: datetime, run) -> Claim:
    """Run a submit once per Idempotency-Key: the claim row is locked first, so a retry sees the first
    attempt's key and answers with the claim as it left it."""
    if key:
        found = ClaimRequestKey.objects.filter(user=actor, action=action, key=key).first()
        if found is not None:
            if found.claim_id != claim.pk:
                raise ApplicationError(
                    KEY_REUSED,
                    _("This Idempotency-Key was used for a different request; use a new key for a new request."),
                    status=422,
                )
            return _replay(found, fingerprint)
    claim = run()
    if key:
        ClaimRequestKey.objects.create(
            user=actor, action=action, key=key, fingerprint=fingerprint, claim=claim, created_at=now
        )
    return claim


@transaction.atomic
def claim_submit(
    *,
    claim: Claim,
    actor,
    expected_version: int | None = None,
    idempotency_key: str = "",
    fingerprint: str = "",
    now: datetime | None = None,
) -> Claim:
    """Submit a draft: a kept version, every automatic check stored with its reason (a failed check does not
    block), the review deadline set, old-part deadlines set."""
    now = now or timezone.now()
    own_claim(actor, claim)
    _dealer_of(actor)
    locked = lock_claim(claim, None)

    def run():
        check_version(locked, expected_version)
        return _submit(locked, actor=actor, action="submit", now=now)

    return _with_key(
        locked, actor=actor, action="submit", key=idempotency_key, fingerprint=fingerprint, now=now, run=run
    )


@transaction.atomic
def claim_resubmit(
    *,
    claim: Claim,
    actor,
    expected_version: int,
    idempotency_key: str = "",
    fingerprint: str = "",
    now: datetime | None = None,
) -> Claim:
    """Submit a corrected claim again: a new kept version with what changed, the checks run again."""
    now = now or timezone.now()
    own_claim(actor, claim)
    _dealer_of(actor)
    locked = lock_claim(claim, None)

    def run():
        check_version(locked, expected_version)
        return _submit(locked, actor=actor, action="resubmit", now=now)

    return _with_key(
        locked, actor=actor, action="resubmit", key=idempotency_key, fingerprint=fingerprint, now=now, run=run
    )


@transaction.atomic
def claim_withdraw(*, claim: Claim, actor, expected_version: int, now: datetime | None = None) -> Claim:
    """The dealer withdraws a draft or a returned claim (its case may then be claimed again)."""
    now = now or timezone.now()
    own_claim(actor, claim)
    claim = lock_claim(claim, expected_version)
    check_transition("withdraw", claim)
    before = claim.status
    claim.status = transitions.WITHDRAWN
    claim.review_due_at = None
    claim.version += 1
    claim.updated_at = now
    claim.save()
    claim_event(claim, actor=actor, kind="withdraw", from_state=before, to_state=claim.status, at=now)
    return claim


@transaction.atomic
def claim_attachment_add(*, claim: Claim, actor, kind: str, file, now: datetime | None = None) -> ClaimAttachment:
    """Photos (JPEG, PNG) and documents (PDF) up to 10 MB whose content matches their name, while the dealer
    may still change the claim."""
    now = now or timezone.now()
    own_claim(actor, claim)
    claim = lock_claim(claim, None)
    if claim.status not in transitions.EDITABLE:
        raise ConflictError(
            "claim_not_editable", _("Documents are added to a draft or a claim returned for information.")
        )
    if kind not in DocumentKind.values:
        raise invalid({"kind": [_("Unknown document kind.")]})
    suffix = PurePath(file.name).suffix.lower()

    def refuse(message):
        return ApplicationError(ATTACHMENT_INVALID, message, details={"file": [message]})

    if suffix not in ATTACHMENT_TYPES:
        raise refuse(_("Only JPEG, PNG and PDF files can be attached."))
    if file.size > MAX_ATTACHMENT_BYTES:
        raise refuse(_("The file is larger than 10 MB."))
    magic, content_type = ATTACHMENT_TYPES[suffix]
    head = file.read(16)
    file.seek(0)
    if not head.startswith(magic):
        raise refuse(_("The file's content does not match its name (%s).") % suffix)
    attachment = ClaimAttachment.objects.create(
        claim=claim,
        kind=kind,
        file=file,
        original_name=PurePath(file.name).name[:255],
        content_type=content_type,
        size=file.size,
        uploaded_by=actor,
        uploaded_at=now,
    )
    claim.version += 1
    claim.updated_at = now
    claim.save(update_fields=["version", "updated_at"])
    claim_event(
        claim, actor=actor, kind="attachment_added", at=now, data={"name": attachment.original_name, "kind": kind}
    )
    return attachment
