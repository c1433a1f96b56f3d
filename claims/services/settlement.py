"""Settlement: finance issues a dealer's statement (《三包费用核销通知》) of every approved line not settled yet;
the dealer confirms it and the total is credited to its account, offset against what it owes.

A line is settled exactly once: statements of one dealer are issued one at a time (its account row is locked
first), and the settled line's one-to-one row is the database's last word when two runs meet anyway. The
account balance lives on the account row, changed in SQL together with the ledger entry that records it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.dates import business_date
from aftersales.errors import ConflictError
from aftersales.roles import Role
from aftersales.scoping import dealer_id_of
from claims import permissions, transitions
from claims.models import (
    AccountEntry,
    ClaimLine,
    DealerAccount,
    ReturnItem,
    SettlementLine,
    SettlementStatement,
)
from claims.services.common import check_version_of, claim_event, invalid, money, next_number
from claims.services.notifications import claim_notify, dealer_recipients, maker_recipients
from dealers.models import Dealer
from warranty.calendar import business_zone

NOTHING_TO_SETTLE = "nothing_to_settle"
ALREADY_CONFIRMED = "statement_already_confirmed"
NOT_FOUND = "statement_not_found"


def settleable_lines(*, dealer_id: int | None = None, period_end: date) -> QuerySet[ClaimLine]:
    """Approved (or reduced) lines of decided claims, decided by the end of ``period_end`` in the business
    zone, not settled yet; a line whose old part must come back only once the part is received and
    appraised usable or scrap ("no old part, no payment")."""
    end = datetime.combine(period_end + timedelta(days=1), time.min, tzinfo=business_zone())
    lines = ClaimLine.objects.filter(
        claim__status__in=transitions.DECIDED,
        decision__in=[ClaimLine.Decision.APPROVED, ClaimLine.Decision.REDUCED],
        approved_amount__gt=0,
        decided_at__lt=end,
        settlement__isnull=True,
    ).filter(
        Q(return_required=False)
        | Q(return_item__appraisal__in=[ReturnItem.Appraisal.USABLE, ReturnItem.Appraisal.SCRAP])
    )
    if dealer_id is not None:
        lines = lines.filter(claim__dealer_id=dealer_id)
    return lines


def _account(dealer_id: int, *, now: datetime) -> DealerAccount:
    """The dealer's account row, locked (created on first use)."""
    DealerAccount.objects.get_or_create(dealer_id=dealer_id, defaults={"updated_at": now})
    return DealerAccount.objects.select_for_update().get(dealer_id=dealer_id)


def _post(
    account: DealerAccount, *, kind: str, amount: Decimal, description: str, actor, now: datetime, statement=None
) -> AccountEntry:
    """One ledger entry; the balance changes in SQL on the locked account row and the entry keeps it."""
    delta = amount if kind == AccountEntry.Kind.CREDIT else -amount
    DealerAccount.objects.filter(pk=account.pk).update(balance=F("balance") + delta, updated_at=now)
    account.refresh_from_db(fields=["balance", "updated_at"])
    return AccountEntry.objects.create(
        account=account,
        kind=kind,
        amount=amount,
        balance_after=account.balance,
        statement=statement,
        description=description[:200],
        at=now,
        by=actor,
    )


@transaction.atomic
def settlement_issue(*, actor, dealer: Dealer, period_end: date, now: datetime | None = None) -> SettlementStatement:
    """Finance issues a dealer's statement of every settleable line decided up to ``period_end``; the dealer
    is told. Nothing to settle is a 409."""
    now = now or timezone.now()
    permissions.require(permissions.can_settle(actor), _("Only finance issues settlement statements."))
    return _issue(dealer, period_end=period_end, actor=actor, now=now)


def _issue(dealer: Dealer, *, period_end: date, actor, now: datetime) -> SettlementStatement:
    """The statement of every settleable line of the dealer up to ``period_end`` (in the caller's
    transaction; ``actor`` None: the periodic run)."""
    _account(dealer.pk, now=now)  # one statement of a dealer at a time
    lines = list(
        settleable_lines(dealer_id=dealer.pk, period_end=period_end)
        .select_for_update(of=("self",))
        .select_related("claim")
        .order_by("claim_id", "position")
    )
    if not lines:
        raise ConflictError(NOTHING_TO_SETTLE, _("%s has no approved lines left to settle.") % dealer.name)
    return _create_statement(dealer, lines, period_end=period_end, actor=actor, now=now)


def _create_statement(dealer: Dealer, lines: list[ClaimLine], *, period_end, actor, now) -> SettlementStatement:
    total = ClaimLine.objects.filter(pk__in=[line.pk for line in lines]).aggregate(total=Sum("approved_amount"))[
        "total"
    ]
    statement = SettlementStatement.objects.create(
        number=next_number("ST", "claims_statement_number_seq", now),
        dealer=dealer,
        period_end=period_end,
        line_count=len(lines),
        total=total,
        issued_by=actor,
        issued_at=now,
    )
    SettlementLine.objects.bulk_create(
        SettlementLine(statement=statement, line=line, amount=line.approved_amount) for line in lines
    )
    for claim_id in dict.fromkeys(line.claim_id for line in lines):
        claim = next(line.claim for line in lines if line.claim_id == claim_id)
        claim_event(
            claim,
            actor=actor,
            kind="settled",
            at=now,
            data={"statement": statement.number, "lines": [ln.position for ln in lines if ln.claim_id == claim_id]},
        )
    claim_notify(
        recipient_ids=dealer_recipients(dealer.pk),
        kind="claim_settlement_issued",
        object_id=statement.pk,
        title=lambda: (
            _("Settlement statement %(number)s issued: %(total)s")
            % {
                "number": statement.number,
                "total": statement.total,
            }
        ),
        body=lambda: _("Please check and confirm it in the portal."),
        now=now,
    )
    return statement


def settlements_issue_all(*, actor, period_end: date, now: datetime | None = None) -> list[SettlementStatement]:
    """A statement for every dealer with something to settle, each in its own transaction."""
    now = now or timezone.now()
    permissions.require(permissions.can_settle(actor), _("Only finance issues settlement statements."))
    dealer_ids = list(
        settleable_lines(period_end=period_end).order_by().values_list("claim__dealer_id", flat=True).distinct()
    )
    issued = []
    for dealer in Dealer.objects.filter(pk__in=dealer_ids).order_by("code"):
        try:
            issued.append(settlement_issue(actor=actor, dealer=dealer, period_end=period_end, now=now))
        except ConflictError as error:
            if error.code != NOTHING_TO_SETTLE:
                raise
    return issued


def statement_period_end(today: date, period: str) -> date:
    """The last day of the period before the one ``today`` is in: the previous month (``month``) or the
    previous ISO week, Monday to Sunday (``week``)."""
    if period == "week":
        return today - timedelta(days=today.weekday() + 1)
    return today.replace(day=1) - timedelta(days=1)


def settlements_issue_periodic(*, now: datetime, period: str | None = None) -> list[SettlementStatement]:
    """The periodic statements (beat): for every dealer with approved lines decided up to the end of the last
    closed period and not settled yet, one statement issued by the schedule (no person), each dealer in its
    own transaction. Run again, it issues nothing new: the lines are settled, and a dealer whose lines finance
    already settled by hand is left out. One scheduled statement per dealer and period: a line that became
    settleable after its period's statement (an old part appraised late) waits for the next period's."""
    period = period or settings.CLAIM_STATEMENT_PERIOD
    period_end = statement_period_end(business_date(now), period)
    scheduled = SettlementStatement.objects.filter(period_end=period_end, issued_by__isnull=True).values("dealer_id")
    dealer_ids = list(
        settleable_lines(period_end=period_end)
        .exclude(claim__dealer_id__in=scheduled)
        .order_by()
        .values_list("claim__dealer_id", flat=True)
        .distinct()
    )
    issued = []
    for dealer in Dealer.objects.filter(pk__in=dealer_ids).order_by("code"):
        try:
            with transaction.atomic():
                issued.append(_issue(dealer, period_end=period_end, actor=None, now=now))
        except ConflictError as error:
            if error.code != NOTHING_TO_SETTLE:
                raise
    return issued


@transaction.atomic
def settlement_confirm(
    *, statement: SettlementStatement, actor, expected_version: int, now: datetime | None = None
) -> SettlementStatement:
    """The dealer confirms its statement: the total is credited to its account (offset against what it
    owes); finance is told."""
    now = now or timezone.now()
    permissions.require(permissions.can_submit(actor), _("Only the dealer's staff confirm its statements."))
    if statement.dealer_id != dealer_id_of(actor):
        raise ConflictError(NOT_FOUND, _("No such statement."), status=404)
    account = _account(statement.dealer_id, now=now)
    statement = SettlementStatement.objects.select_for_update().get(pk=statement.pk)
    check_version_of(statement, expected_version, _("Someone else changed this statement meanwhile; reload it."))
    if statement.status != SettlementStatement.Status.ISSUED:
        raise ConflictError(ALREADY_CONFIRMED, _("This statement is confirmed already."))
    _post(
        account,
        kind=AccountEntry.Kind.CREDIT,
        amount=statement.total,
        description=_("Settlement statement %s") % statement.number,
        actor=actor,
        now=now,
        statement=statement,
    )
    statement.status = SettlementStatement.Status.CONFIRMED
    statement.confirmed_by, statement.confirmed_at = actor, now
    statement.version += 1
    statement.save()
    claim_notify(
        recipient_ids=[statement.issued_by_id] if statement.issued_by_id else maker_recipients(Role.FINANCE),
        kind="claim_settlement_confirmed",
        object_id=statement.pk,
        title=lambda: _("Settlement statement %s confirmed by the dealer") % statement.number,
        now=now,
    )
    return statement


@transaction.atomic
def account_post(
    *, actor, dealer: Dealer, kind: str, amount: Decimal, description: str, now: datetime | None = None
) -> AccountEntry:
    """Finance records what the dealer owes (a debit: parts bought, a penalty) or a credit outside claims."""
    now = now or timezone.now()
    permissions.require(permissions.can_settle(actor), _("Only finance posts to dealer accounts."))
    errors = {}
    if kind not in AccountEntry.Kind.values:
        errors["kind"] = [_("Credit or debit.")]
    if amount is None or amount <= 0:
        errors["amount"] = [_("The amount must be more than 0.")]
    if not description.strip():
        errors["description"] = [_("Required.")]
    if errors:
        raise invalid(errors, _("The entry is not possible."))
    account = _account(dealer.pk, now=now)
    return _post(account, kind=kind, amount=money(amount), description=description, actor=actor, now=now)


def statement_rows(statement: SettlementStatement) -> list[list]:
    """The statement's lines for the printable page and the CSV / XLSX export."""
    rows = []
    for settled in statement.lines.select_related("line__claim__unit", "line__reason").order_by(
        "line__claim__number", "line__position"
    ):
        line = settled.line
        rows.append(
            [
                line.claim.number,
                line.claim.unit.serial,
                line.position,
                line.get_kind_display(),
                line.description,
                line.claimed_amount,
                settled.amount,
                line.reason.name if line.reason else "",
            ]
        )
    return rows
