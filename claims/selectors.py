"""Reads of claims, returns, statements and dealer accounts, scoped to the user who asks
(``aftersales.scoping``); someone without the claims read permission sees none."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from aftersales.errors import ApplicationError
from aftersales.scoping import scope_for
from claims import permissions, transitions
from claims.models import (
    AccountEntry,
    Claim,
    ClaimAttachment,
    ClaimCheck,
    ClaimLine,
    DealerAccount,
    ReturnBatch,
    ReturnItem,
    SettlementStatement,
)
from dealers.models import Dealer

CLAIM_NOT_FOUND = "claim_not_found"
RETURN_NOT_FOUND = "return_not_found"
STATEMENT_NOT_FOUND = "statement_not_found"
DEALER_NOT_FOUND = "dealer_not_found"


def _scoped(user, queryset: QuerySet) -> QuerySet:
    if not permissions.can_read(user):
        return queryset.none()
    return scope_for(user, queryset)


def claim_scope(*, user) -> QuerySet[Claim]:
    return _scoped(user, Claim.objects.all())


def with_list_related(claims: QuerySet[Claim]) -> QuerySet[Claim]:
    return claims.select_related("dealer", "unit", "claim_type")


def claim_list(*, user) -> QuerySet[Claim]:
    """The user's claims, newest first (a dealer sees its own)."""
    return with_list_related(claim_scope(user=user)).order_by("-created_at", "-id")


def review_queue(*, user) -> QuerySet[Claim]:
    """Claims waiting for a reviewer, oldest review deadline first (served by the partial index
    ``claim_review_queue``)."""
    return with_list_related(claim_scope(user=user).filter(status__in=transitions.UNDER_REVIEW)).order_by(
        "review_due_at", "id"
    )


def claim_get(*, user, pk) -> Claim:
    """One claim with everything its page shows; another dealer's claim is "not found"."""
    latest_checks = ClaimCheck.objects.select_related("proposed_reason").order_by("id")
    try:
        return (
            claim_scope(user=user)
            # Few joins: planning a wide join costs more than the rare lookups it saves (reviewers).
            .select_related("dealer", "unit__product_model", "claim_type", "programme", "ticket")
            .prefetch_related(
                Prefetch(
                    "lines",
                    queryset=ClaimLine.objects.select_related(
                        "operation", "reason", "return_item__batch", "settlement__statement"
                    ).order_by("position"),
                ),
                Prefetch("checks", queryset=latest_checks),
                Prefetch("attachments", queryset=ClaimAttachment.objects.order_by("uploaded_at", "id")),
            )
            .get(pk=pk)
        )
    except (Claim.DoesNotExist, ValueError, TypeError):
        raise ApplicationError(CLAIM_NOT_FOUND, _("No such claim."), status=404) from None


def latest_checks(claim: Claim) -> list[ClaimCheck]:
    """The checks of the claim's latest submission (from the prefetched checks)."""
    checks = list(claim.checks.all())
    if not checks:
        return []
    latest = max(check.submission_id for check in checks)
    return [check for check in checks if check.submission_id == latest]


def return_scope(*, user) -> QuerySet[ReturnBatch]:
    return _scoped(user, ReturnBatch.objects.all()).select_related("dealer")


def return_get(*, user, pk) -> ReturnBatch:
    try:
        return (
            return_scope(user=user)
            .prefetch_related(
                Prefetch("items", queryset=ReturnItem.objects.select_related("line__claim").order_by("id"))
            )
            .get(pk=pk)
        )
    except (ReturnBatch.DoesNotExist, ValueError, TypeError):
        raise ApplicationError(RETURN_NOT_FOUND, _("No such return."), status=404) from None


def lines_awaiting_return(*, user) -> QuerySet[ClaimLine]:
    """The dealer's lines whose old part must go back and has not been shipped (the ship form's choices)."""
    return (
        _scoped(user, ClaimLine.objects.all())
        .filter(
            return_required=True,
            return_item__isnull=True,
            claim__status__in=(
                transitions.SUBMITTED,
                transitions.RETURNED,
                transitions.APPEALED,
                *transitions.DECIDED,
            ),
        )
        .exclude(decision=ClaimLine.Decision.REJECTED)
        .select_related("claim")
        .order_by("return_due_on", "claim_id", "position")
    )


def statement_scope(*, user) -> QuerySet[SettlementStatement]:
    return _scoped(user, SettlementStatement.objects.all()).select_related("dealer", "issued_by", "confirmed_by")


def statement_get(*, user, pk) -> SettlementStatement:
    try:
        return statement_scope(user=user).select_related("account_entry").get(pk=pk)
    except (SettlementStatement.DoesNotExist, ValueError, TypeError):
        raise ApplicationError(STATEMENT_NOT_FOUND, _("No such statement."), status=404) from None


def dealer_scope(*, user) -> QuerySet[Dealer]:
    return scope_for(user, Dealer.objects.all())


def dealer_get(*, user, pk) -> Dealer:
    try:
        return dealer_scope(user=user).get(pk=pk)
    except (Dealer.DoesNotExist, ValueError, TypeError):
        raise ApplicationError(DEALER_NOT_FOUND, _("No such dealer."), status=404) from None


def account_of(*, user, dealer: Dealer) -> tuple[DealerAccount | None, QuerySet[AccountEntry]]:
    """A dealer's account and its ledger (newest first), for who may read claims."""
    account = _scoped(user, DealerAccount.objects.filter(dealer=dealer)).first()
    entries = (
        account.entries.select_related("statement").order_by("-at", "-id") if account else AccountEntry.objects.none()
    )
    return account, entries
