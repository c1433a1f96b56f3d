"""Work on a case: attachments, work log, parts and labour lines, and the customer-signed repair order."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import PurePath

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.dates import business_date
from aftersales.errors import ApplicationError, ConflictError
from tickets.models import Attachment, ChargeLine, RepairOrder, Ticket, WorkLogEntry
from tickets.services.events import event
from tickets.services.repairs import repair_record_sign
from tickets.services.tickets import ticket_lock, ticket_transition
from warranty.selectors import part_price_on

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_SIGNATURE_BYTES = 512 * 1024
ATTACHMENT_INVALID = "attachment_invalid"
PART_UNKNOWN = "part_unknown"
SIGNATURE_INVALID = "signature_invalid"
ORDER_EXISTS = "repair_order_exists"
NOT_RESOLVED = "not_resolved"

# Extension -> (magic bytes the file must start with, kind). The content decides, not the name alone.
ALLOWED = {
    ".jpg": ((b"\xff\xd8\xff",), Attachment.Kind.PHOTO, "image/jpeg"),
    ".jpeg": ((b"\xff\xd8\xff",), Attachment.Kind.PHOTO, "image/jpeg"),
    ".png": ((b"\x89PNG\r\n\x1a\n",), Attachment.Kind.PHOTO, "image/png"),
    ".pdf": ((b"%PDF-",), Attachment.Kind.DOCUMENT, "application/pdf"),
    ".xlsx": (
        (b"PK\x03\x04",),
        Attachment.Kind.DOCUMENT,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ".docx": (
        (b"PK\x03\x04",),
        Attachment.Kind.DOCUMENT,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
}


def _refuse(code: str, message: str, field: str = "file") -> ApplicationError:
    return ApplicationError(code, message, details={field: [message]})


@transaction.atomic
def attachment_add(*, ticket: Ticket, actor, file, now: datetime | None = None) -> Attachment:
    """Photos (JPEG, PNG) and documents (PDF, XLSX, DOCX) up to 10 MB whose content matches their name."""
    now = now or timezone.now()
    suffix = PurePath(file.name).suffix.lower()
    if suffix not in ALLOWED:
        raise _refuse(ATTACHMENT_INVALID, _("Only JPEG, PNG, PDF, XLSX and DOCX files can be attached."))
    if file.size > MAX_ATTACHMENT_BYTES:
        raise _refuse(ATTACHMENT_INVALID, _("The file is larger than 10 MB."))
    magics, kind, content_type = ALLOWED[suffix]
    head = file.read(16)
    file.seek(0)
    if not any(head.startswith(magic) for magic in magics):
        raise _refuse(ATTACHMENT_INVALID, _("The file's content does not match its name (%s).") % suffix)
    attachment = Attachment.objects.create(
        ticket=ticket,
        kind=kind,
        file=file,
        original_name=file.name[:255],
        content_type=content_type,
        size=file.size,
        uploaded_by=actor,
        uploaded_at=now,
    )
    event(ticket, actor=actor, kind="attachment_added", at=now, data={"name": attachment.original_name})
    return attachment


@transaction.atomic
def worklog_add(
    *,
    ticket: Ticket,
    actor,
    kind: str,
    summary: str = "",
    appointment_at: datetime | None = None,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    now: datetime | None = None,
) -> WorkLogEntry:
    """A call, a remote session, a booked visit or a note. Check-in and check-out are case actions."""
    now = now or timezone.now()
    for name, value in (("started_at", started_at), ("ended_at", ended_at)):
        if value and value > now:
            raise _refuse("time_in_future", _("This time is in the future."), name)
    if started_at and ended_at and ended_at < started_at:
        raise _refuse("times_invalid", _("The end is before the start."), "ended_at")
    entry = WorkLogEntry.objects.create(
        ticket=ticket,
        kind=kind,
        engineer=actor,
        summary=summary,
        appointment_at=appointment_at,
        started_at=started_at,
        ended_at=ended_at,
        created_at=now,
    )
    event(ticket, actor=actor, kind=f"worklog_{kind}", at=now, data={"summary": summary[:200]})
    return entry


def money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@transaction.atomic
def charge_line_add(
    *,
    ticket: Ticket,
    actor,
    kind: str,
    description: str,
    quantity: Decimal,
    part_number: str = "",
    serial: str = "",
    unit_price: Decimal | None = None,
    now: datetime | None = None,
) -> ChargeLine:
    """Parts are priced from the price list on the day (unless a price is given); labour on a covered case
    needs no rate (it is recorded at zero); everything is charged to the customer only when the case was not
    covered at intake."""
    now = now or timezone.now()
    if kind == ChargeLine.Kind.PART and unit_price is None:
        listed = part_price_on(part_number=part_number, day=business_date(now))
        if listed is None:
            raise _refuse(
                PART_UNKNOWN, _("Part %s is not on the price list; give a price.") % part_number, "part_number"
            )
        unit_price = listed.price
        description = description or listed.name
    coverage = ticket.coverage
    covered = coverage is not None and coverage.covered
    if unit_price is None and covered:
        # Labour on a free warranty repair: the hours are recorded, the customer pays nothing for them.
        unit_price = Decimal(0)
    if unit_price is None:
        raise _refuse("price_required", _("Give the hourly rate."), "unit_price")
    line = ChargeLine.objects.create(
        ticket=ticket,
        kind=kind,
        description=description,
        part_number=part_number,
        serial=serial,
        quantity=quantity,
        unit_price=unit_price,
        amount=money(quantity * unit_price),
        charged=not covered,
        created_by=actor,
        created_at=now,
    )
    event(
        ticket,
        actor=actor,
        kind=f"{kind}_added",
        at=now,
        data={"description": description, "amount": str(line.amount), "charged": line.charged},
    )
    return line


def decode_signature(data_url: str) -> bytes:
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        raise _refuse(SIGNATURE_INVALID, _("The signature must be a PNG drawing."), "signature")
    try:
        image = base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        raise _refuse(SIGNATURE_INVALID, _("The signature could not be read."), "signature") from None
    if not image.startswith(b"\x89PNG\r\n\x1a\n") or len(image) > MAX_SIGNATURE_BYTES:
        raise _refuse(SIGNATURE_INVALID, _("The signature must be a PNG drawing under 512 KB."), "signature")
    return image


@transaction.atomic
def repair_order_sign(
    *,
    ticket: Ticket,
    actor,
    findings: str,
    work_done: str,
    signer_name: str,
    signature: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> RepairOrder:
    """The customer signs the repair order of a resolved case; that is the customer's confirmation."""
    now = now or timezone.now()
    image = decode_signature(signature)
    ticket = ticket_lock(ticket, expected_version)
    if RepairOrder.objects.filter(ticket=ticket).exists():
        raise ConflictError(ORDER_EXISTS, _("The repair order is already signed."))
    if ticket.status != Ticket.Status.RESOLVED:
        raise ConflictError(NOT_RESOLVED, _("Only a resolved case can be signed off."))
    total = ticket.charge_lines.filter(charged=True).aggregate(total=Sum("amount"))["total"] or Decimal(0)
    order = RepairOrder(
        ticket=ticket,
        findings=findings,
        work_done=work_done,
        total_charged=total,
        signer_name=signer_name,
        signed_at=now,
        created_by=actor,
    )
    order.signature.save(f"{ticket.number}.png", ContentFile(image), save=False)
    order.save()
    repair_record_sign(ticket, actor=actor, order=order, now=now)
    event(ticket, actor=actor, kind="repair_order_signed", at=now, data={"signer": signer_name})
    ticket_transition(ticket=ticket, action="confirm", actor=actor, now=now)
    return order
