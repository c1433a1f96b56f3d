"""Registering and changing units, and recording their repairs."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.dates import business_date
from aftersales.errors import ApplicationError, ConflictError, StaleVersionError
from aftersales.scoping import dealer_id_of, viewer
from dealers.selectors import own_dealer
from warranty.engine.presets import CAR_ASSEMBLIES, CAR_MAIN_PART_SYSTEMS
from warranty.models import RepairRecord, Unit
from warranty.models.units import REGISTRATION_DAYS
from warranty.selectors import normalize_serial

SERIAL_EXISTS = "serial_exists"
SERIAL_INVALID = "serial_invalid"
DATES_INVALID = "dates_invalid"
DEALER_FORBIDDEN = "dealer_forbidden"
STALE_VERSION = "stale_version"
REPAIR_INVALID = "repair_invalid"

UNIT_FIELDS = (
    "product_model",
    "customer",
    "site",
    "selling_dealer",
    "policy",
    "invoice_date",
    "delivery_date",
    "installation_date",
    "acceptance_date",
    "price",
    "usage_reading",
    "usage_read_at",
    "replaces",
    "replaced_on",
)


def registration_due(invoice_date: date | None) -> date | None:
    return invoice_date + timedelta(days=REGISTRATION_DAYS) if invoice_date else None


def is_registered_late(*, invoice_date: date | None, registered_on: date) -> bool:
    """Registration is due within 20 days of the sale; the sale day itself is not counted."""
    due = registration_due(invoice_date)
    return due is not None and registered_on > due


def check_unit_dates(fields: dict, *, today: date) -> None:
    """Refuse dates that cannot be true; every problem is reported at once, per field."""
    errors: dict[str, list[str]] = {}
    invoice = fields.get("invoice_date")
    for name in ("invoice_date", "delivery_date", "installation_date", "acceptance_date", "replaced_on"):
        value = fields.get(name)
        if value and value > today:
            errors.setdefault(name, []).append(_("This date is in the future."))
    for name in ("delivery_date", "installation_date", "acceptance_date"):
        value = fields.get(name)
        if value and invoice and value < invoice - timedelta(days=366):
            errors.setdefault(name, []).append(_("This date is more than a year before the invoice date."))
    installation, acceptance = fields.get("installation_date"), fields.get("acceptance_date")
    if installation and acceptance and acceptance < installation:
        errors.setdefault("acceptance_date", []).append(_("Acceptance cannot come before installation."))
    if fields.get("replaces") is not None and not fields.get("replaced_on"):
        errors.setdefault("replaced_on", []).append(_("An exchanged unit needs the exchange date."))
    if errors:
        raise ApplicationError(DATES_INVALID, _("Some dates are not possible."), details=errors)


def check_dealer_access(*, actor, selling_dealer) -> None:
    """A dealer's people register and change only units their own dealer sold (aftersales.scoping)."""
    scope = viewer(actor)
    if scope.everything:
        return
    if scope.dealer_id is None or selling_dealer is None or selling_dealer.pk != scope.dealer_id:
        raise ApplicationError(
            DEALER_FORBIDDEN,
            _("You can only register units sold by your own dealer."),
            details={"selling_dealer": [_("Must be your own dealer.")]},
            status=403,
        )


def check_exchange_access(*, actor, replaces) -> None:
    """A dealer records an exchange only of a unit it sold itself."""
    if replaces is None or viewer(actor).everything:
        return
    if replaces.selling_dealer_id is None or replaces.selling_dealer_id != dealer_id_of(actor):
        raise ApplicationError(
            DEALER_FORBIDDEN,
            _("You can only record exchanges of units sold by your own dealer."),
            details={"replaces": [_("Must be a unit your dealer sold.")]},
            status=403,
        )


@transaction.atomic
def unit_register(*, actor, serial: str, now: datetime | None = None, **fields) -> Unit:
    """Register a unit. Late registration (over 20 days after the invoice) is recorded, not refused:
    the unit's policy decides what it costs the customer."""
    now = now or timezone.now()
    serial = normalize_serial(serial)
    if not serial:
        raise ApplicationError(SERIAL_INVALID, _("A serial number is required."), details={"serial": [_("Required.")]})
    unknown = set(fields) - set(UNIT_FIELDS)
    if unknown:
        raise TypeError(f"unknown unit fields: {sorted(unknown)}")
    today = business_date(now)
    check_unit_dates(fields, today=today)
    if fields.get("selling_dealer") is None:
        # A dealer registers what it sold: its own dealer unless it says so.
        fields["selling_dealer"] = own_dealer(actor)
    check_dealer_access(actor=actor, selling_dealer=fields.get("selling_dealer"))
    check_exchange_access(actor=actor, replaces=fields.get("replaces"))
    unit = Unit(
        serial=serial,
        registered_at=now,
        registered_by=actor,
        registered_late=is_registered_late(invoice_date=fields.get("invoice_date"), registered_on=today),
        **fields,
    )
    try:
        with transaction.atomic():
            unit.save()
    except IntegrityError as error:
        if Unit.objects.filter(serial=serial).exists():
            raise ConflictError(
                SERIAL_EXISTS,
                _("A unit with this serial number is already registered."),
                details={"serial": [_("Already registered.")]},
            ) from error
        raise
    return unit


@transaction.atomic
def unit_update(*, actor, unit: Unit, expected_version: int, now: datetime | None = None, **changes) -> Unit:
    """Change a unit's data. ``expected_version`` is the version the editor saw: a concurrent change wins
    nothing silently, the second writer gets 412."""
    now = now or timezone.now()
    unknown = set(changes) - set(UNIT_FIELDS)
    if unknown:
        raise TypeError(f"unknown unit fields: {sorted(unknown)}")
    locked = Unit.objects.select_for_update().get(pk=unit.pk)
    if locked.version != expected_version:
        raise StaleVersionError(
            STALE_VERSION,
            _("Someone else changed this unit meanwhile; reload it and apply your change again."),
            details={"version": [str(locked.version)]},
        )
    check_dealer_access(actor=actor, selling_dealer=locked.selling_dealer)
    if "selling_dealer" in changes:
        check_dealer_access(actor=actor, selling_dealer=changes["selling_dealer"])
    if changes.get("replaces") is not None:
        check_exchange_access(actor=actor, replaces=changes["replaces"])
    merged = {name: getattr(locked, name) for name in UNIT_FIELDS} | changes
    check_unit_dates(merged, today=business_date(now))
    for name, value in changes.items():
        setattr(locked, name, value)
    if "invoice_date" in changes:
        locked.registered_late = is_registered_late(
            invoice_date=locked.invoice_date, registered_on=business_date(locked.registered_at)
        )
    locked.version += 1
    locked.save()
    return locked


REPAIR_FIELDS = (
    "source",
    "confirmed_at",
    "completed_at",
    "usage",
    "problem_code",
    "quality_problem",
    "serious_safety",
    "component",
    "assemblies_replaced",
    "main_parts_replaced",
    "excluded_hours",
    "parts_wait_hours",
    "parts_wait_party",
    "handed_in_at",
    "fault_description",
    "inspection_result",
    "repair_items",
    "replaced_parts",
    "material_cost",
    "labour_cost",
    "towing",
    "substitute_unit",
    "returned_at",
    "customer_signature",
    "repairer_signature",
)
# The assemblies and main-part systems the 三包 rules count (every car regime's); any other code is a typo.
REPAIR_ASSEMBLIES = tuple(dict.fromkeys(code for codes in CAR_ASSEMBLIES.values() for code in codes))
REPAIR_SYSTEMS = tuple(dict.fromkeys(code for codes in CAR_MAIN_PART_SYSTEMS.values() for code in codes))


def repair_problems(fields: dict, *, now: datetime) -> dict[str, list[str]]:
    """What makes a repair record impossible, per field (all at once)."""
    errors: dict[str, list[str]] = {}
    confirmed, completed = fields.get("confirmed_at"), fields.get("completed_at")
    if confirmed and confirmed > now:
        errors.setdefault("confirmed_at", []).append(_("This time is in the future."))
    if completed and confirmed and completed < confirmed:
        errors.setdefault("completed_at", []).append(_("Completion cannot come before the repair was agreed."))
    if completed and completed > now:
        errors.setdefault("completed_at", []).append(_("This time is in the future."))
    for name in ("excluded_hours", "parts_wait_hours"):
        if (fields.get(name) or Decimal(0)) < 0:
            errors.setdefault(name, []).append(_("Hours cannot be negative."))
    if completed and confirmed and fields.get("excluded_hours"):
        span = Decimal((completed - confirmed).total_seconds()) / 3600
        if fields["excluded_hours"] > span:
            errors.setdefault("excluded_hours", []).append(_("More hours excluded than the repair lasted."))
    for code in fields.get("assemblies_replaced") or ():
        if code not in REPAIR_ASSEMBLIES:
            errors.setdefault("assemblies_replaced", []).append(
                _("Unknown assembly %(code)s; choose from: %(known)s.")
                % {"code": code, "known": ", ".join(REPAIR_ASSEMBLIES)}
            )
    for item in fields.get("main_parts_replaced") or ():
        system = item.get("system", "") if isinstance(item, dict) else ""
        part = item.get("part", "") if isinstance(item, dict) else ""
        if system not in REPAIR_SYSTEMS:
            errors.setdefault("main_parts_replaced", []).append(
                _("Unknown main-part system %(code)s; choose from: %(known)s.")
                % {"code": system, "known": ", ".join(REPAIR_SYSTEMS)}
            )
        elif not str(part).strip():
            errors.setdefault("main_parts_replaced", []).append(_("Name the main part replaced."))
    return errors


@transaction.atomic
def repair_record_create(
    *, actor, unit: Unit, source_key: str = "", now: datetime | None = None, **fields
) -> RepairRecord:
    """Add a repair to a unit's history (the 三包 history the entitlement engine counts).

    With ``source_key`` ("ticket:42") it writes the one record of that source: a case resolved again, or
    signed later, updates its record instead of adding another, so a repair is counted once; a dealer claim
    made from a case passes its case's key. Records entered by hand are limited to the dealer's own units;
    for a source, that source's own rules decided who may report it."""
    now = now or timezone.now()
    unknown = set(fields) - set(REPAIR_FIELDS)
    if unknown:
        raise TypeError(f"unknown repair fields: {sorted(unknown)}")
    existing = None
    if source_key:
        existing = RepairRecord.objects.select_for_update().filter(source_key=source_key).first()
        if existing is not None and existing.unit_id != unit.pk:
            raise ConflictError(REPAIR_INVALID, _("This repair is already recorded on another unit."))
    else:
        check_dealer_access(actor=actor, selling_dealer=unit.selling_dealer)
    merged = ({name: getattr(existing, name) for name in REPAIR_FIELDS} if existing else {}) | fields
    errors = repair_problems(merged, now=now)
    if errors:
        raise ApplicationError(REPAIR_INVALID, _("The repair record is not possible."), details=errors)
    if existing is not None:
        for name, value in fields.items():
            setattr(existing, name, value)
        existing.save()
        return existing
    return RepairRecord.objects.create(unit=unit, source_key=source_key, created_at=now, **fields)
