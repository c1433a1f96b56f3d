"""Helpers the claim services share: events, numbers, money, locking with the version check."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.utils.translation import gettext as _

from aftersales.dates import business_date
from aftersales.errors import ApplicationError, ConflictError, StaleVersionError
from claims import transitions
from claims.models import Claim, ClaimEvent

STALE_VERSION = "stale_version"
INVALID_TRANSITION = "invalid_transition"
CLAIM_INVALID = "claim_invalid"
CENT = Decimal("0.01")


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def next_number(prefix: str, sequence: str, now: datetime) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [sequence])
        value = cursor.fetchone()[0]
    return f"{prefix}{business_date(now):%y%m%d}-{value:06d}"


def claim_event(
    claim: Claim, *, actor, kind: str, at: datetime, from_state: str = "", to_state: str = "", data=None
) -> ClaimEvent:
    return ClaimEvent.objects.create(
        claim=claim, actor=actor, kind=kind, from_state=from_state, to_state=to_state, data=data or {}, at=at
    )


def lock_claim(claim: Claim, expected_version: int | None) -> Claim:
    """The claim row locked for the change; a version other than the caller read is a 412 (nothing lost:
    the caller reloads and decides again)."""
    locked = (
        Claim.objects.select_for_update(of=("self",))
        .select_related("programme", "claim_type", "dealer", "unit__product_model", "ticket")
        .get(pk=claim.pk)
    )
    check_version(locked, expected_version)
    return locked


def check_version(claim: Claim, expected_version: int | None) -> None:
    if expected_version is not None and claim.version != expected_version:
        raise StaleVersionError(
            STALE_VERSION,
            _("Someone else changed this claim meanwhile; reload it and try again."),
            details={"version": [str(claim.version)]},
        )


def check_transition(action: str, claim: Claim) -> None:
    try:
        transitions.check(action, claim.status)
    except transitions.TransitionError as error:
        raise ConflictError(
            INVALID_TRANSITION,
            _("%(action)s is not possible while the claim is %(status)s; possible now: %(allowed)s.")
            % {
                "action": action,
                "status": transitions.STATUS_LABELS[claim.status],
                "allowed": ", ".join(error.allowed) or "—",
            },
            details={"allowed": error.allowed},
        ) from error


def invalid(details: dict, message=None) -> ApplicationError:
    return ApplicationError(CLAIM_INVALID, message or _("The claim is not complete or not possible."), details=details)


def check_version_of(row, expected_version: int | None, message) -> None:
    """The version check of any row with a ``version`` (statements)."""
    if expected_version is not None and row.version != expected_version:
        raise StaleVersionError(STALE_VERSION, message, details={"version": [str(row.version)]})
