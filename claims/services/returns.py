"""Old-part returns: the dealer ships the parts its lines must return, the maker receives and appraises them,
and a required part not received by its deadline rejects its line ("part not returned")."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.errors import ConflictError
from aftersales.scoping import dealer_id_of
from claims import permissions, transitions
from claims.models import Claim, ClaimLine, ReturnBatch, ReturnItem
from claims.services.common import business_date, claim_event, invalid, next_number
from claims.services.notifications import claim_notify, dealer_recipients
from claims.services.review import line_reject

PART_NOT_RETURNABLE = "part_not_returnable"
NOT_RECEIVED = "part_not_received"
ALREADY_RECEIVED = "part_already_received"
BATCH = 200
# Claims whose old parts may travel: submitted at least once and not withdrawn.
SHIPPABLE = (
    transitions.SUBMITTED,
    transitions.RETURNED,
    transitions.APPEALED,
    *transitions.DECIDED,
)


def returnable(line: ClaimLine) -> bool:
    return (
        line.return_required
        and line.decision != ClaimLine.Decision.REJECTED
        and line.claim.status in SHIPPABLE
        and not hasattr(line, "return_item")
    )


@transaction.atomic
def return_ship(
    *, actor, carrier: str, tracking_number: str, lines: list[ClaimLine], note: str = "", now: datetime | None = None
) -> ReturnBatch:
    """The dealer ships old parts: one batch (carrier, tracking number) with the lines it contains. Each line
    travels once, and only a line of the dealer's own submitted claims that requires its part back."""
    now = now or timezone.now()
    permissions.require(permissions.can_submit(actor), _("Only a dealer's staff ship old parts."))
    dealer_id = dealer_id_of(actor)
    errors = {}
    if not carrier.strip():
        errors["carrier"] = [_("Required.")]
    if not tracking_number.strip():
        errors["tracking_number"] = [_("Required.")]
    if not lines:
        errors["lines"] = [_("Choose the lines whose old parts are in this shipment.")]
    if errors:
        raise invalid(errors)
    ids = [line.pk for line in lines]
    locked = list(
        ClaimLine.objects.select_for_update(of=("self",))
        .select_related("claim")
        .filter(pk__in=ids, claim__dealer_id=dealer_id)
        .order_by("claim_id", "position")
    )
    refused = [line for line in locked if not returnable(line)]
    if len(locked) != len(set(ids)) or refused:
        raise ConflictError(
            PART_NOT_RETURNABLE,
            _("Only lines that require their old part back, not shipped yet and not rejected, can be shipped."),
            details={"lines": [f"{line.claim.number}/{line.position}" for line in refused]},
        )
    batch = ReturnBatch.objects.create(
        number=next_number("RB", "claims_returnbatch_number_seq", now),
        dealer_id=dealer_id,
        carrier=carrier.strip(),
        tracking_number=tracking_number.strip(),
        note=note,
        shipped_at=now,
        shipped_by=actor,
    )
    ReturnItem.objects.bulk_create(ReturnItem(batch=batch, line=line) for line in locked)
    for claim_id in dict.fromkeys(line.claim_id for line in locked):
        claim = next(line.claim for line in locked if line.claim_id == claim_id)
        claim_event(
            claim,
            actor=actor,
            kind="parts_shipped",
            at=now,
            data={
                "batch": batch.number,
                "lines": [line.position for line in locked if line.claim_id == claim_id],
                "tracking_number": batch.tracking_number,
            },
        )
    return batch


@transaction.atomic
def return_receive(*, batch: ReturnBatch, actor, items: list[int] | None = None, now: datetime | None = None):
    """The maker records receipt of a batch's parts (all of them, or the items named)."""
    now = now or timezone.now()
    permissions.require(permissions.can_review(actor), _("Only the maker's reviewers receive old parts."))
    batch = ReturnBatch.objects.select_for_update().get(pk=batch.pk)
    chosen = batch.items.select_related("line__claim").filter(received_at__isnull=True)
    if items:
        unknown = set(items) - set(batch.items.values_list("pk", flat=True))
        if unknown:
            raise invalid({"items": [_("No item %s in this return.") % ", ".join(map(str, sorted(unknown)))]})
        chosen = chosen.filter(pk__in=items)
    received = list(chosen)
    for item in received:
        item.received_at, item.received_by = now, actor
    ReturnItem.objects.bulk_update(received, ["received_at", "received_by"])
    ClaimLine.objects.filter(pk__in=[item.line_id for item in received]).update(part_received_at=now)
    if not batch.items.filter(received_at__isnull=True).exists():
        batch.received_at = now
        batch.save(update_fields=["received_at"])
    for item in received:
        claim_event(
            item.line.claim,
            actor=actor,
            kind="part_received",
            at=now,
            data={"batch": batch.number, "line": item.line.position},
        )
    return batch


@transaction.atomic
def return_appraise(*, item: ReturnItem, actor, appraisal: str, note: str = "", now: datetime | None = None):
    """Appraise a received part: usable or scrap; "not the claimed part" rejects its line."""
    now = now or timezone.now()
    permissions.require(permissions.can_review(actor), _("Only the maker's reviewers appraise old parts."))
    if appraisal not in (
        ReturnItem.Appraisal.USABLE,
        ReturnItem.Appraisal.SCRAP,
        ReturnItem.Appraisal.NOT_CLAIMED_PART,
    ):
        raise invalid({"appraisal": [_("Usable, scrap, or not the claimed part.")]})
    claim = Claim.objects.select_for_update(of=("self",)).get(pk=item.line.claim_id)
    item = ReturnItem.objects.select_for_update(of=("self",)).select_related("line", "batch").get(pk=item.pk)
    if item.received_at is None:
        raise ConflictError(NOT_RECEIVED, _("A part is appraised after it is received."))
    item.appraisal, item.appraised_at, item.appraised_by, item.note = appraisal, now, actor, note
    item.save(update_fields=["appraisal", "appraised_at", "appraised_by", "note"])
    line = item.line
    line.claim = claim
    claim_event(
        claim,
        actor=actor,
        kind="part_appraised",
        at=now,
        data={"line": line.position, "appraisal": appraisal, "note": note},
    )
    if appraisal == ReturnItem.Appraisal.NOT_CLAIMED_PART and line.decision != ClaimLine.Decision.REJECTED:
        if hasattr(line, "settlement"):
            raise ConflictError("line_settled", _("The line is settled already; record a debit instead."))
        line_reject(line, reason_code="wrong_part", actor=actor, now=now, note=note)
    return item


def returns_reject_overdue(*, now: datetime, today: date | None = None) -> int:
    """Lines whose required old part was not received by its deadline are rejected with "part not
    returned", and the dealer is told. Idempotent: a rejected line is no longer looked at; claims are locked
    with SKIP LOCKED, so overlapping runs share the work."""
    today = today or business_date(now)
    rejected = 0
    while True:
        with transaction.atomic():
            overdue = (
                ClaimLine.objects.filter(return_required=True, part_received_at__isnull=True, return_due_on__lt=today)
                .exclude(decision=ClaimLine.Decision.REJECTED)
                .exclude(Q(claim__status=transitions.WITHDRAWN) | Q(settlement__isnull=False))
            )
            claims = list(
                Claim.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk__in=overdue.values("claim_id"))
                .order_by("id")[:BATCH]
            )
            if not claims:
                return rejected
            for claim in claims:
                lines = list(overdue.filter(claim=claim).order_by("position"))
                for line in lines:
                    line.claim = claim
                    line_reject(line, reason_code="part_not_returned", actor=None, now=now)
                rejected += len(lines)
                positions = ", ".join(str(line.position) for line in lines)
                claim_notify(
                    recipient_ids=dealer_recipients(claim.dealer_id),
                    kind="claim_part_not_returned",
                    object_id=claim.pk,
                    title=lambda claim=claim, positions=positions: (
                        _("Claim %(number)s: line %(lines)s rejected, old part not returned in time")
                        % {"number": claim.number, "lines": positions}
                    ),
                    now=now,
                )
