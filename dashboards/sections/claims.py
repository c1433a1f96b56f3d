"""Claims and dealers — the section the dealer-claims app fills.

This module holds the page's side of the contract: the tables, their columns and charts. The figures come
from the claims app's selectors in ``settings.DASHBOARD_CLAIMS_PROVIDER`` (default ``claims.dashboards``);
until that module can be imported the section is unavailable (its pages and API answer 404 with the code
``dashboard_section_unavailable``, and the overview leaves it out). Each selector takes ``user`` (scoped with
aftersales.scoping: a dealer sees its own figures only), ``filters`` (tickets.dashboards.filters.
DashboardFilters: the period and dimensions) and ``now``, aggregates in SQL, and returns plain values:

``claims_totals`` -> dict
    claims, approved, approved_in_part, rejected, approval_rate (percent), amount_claimed, amount_approved,
    median_review_days, p90_review_days, parts_not_returned, statements, settled_amount, confirmed_amount
``claims_by_dealer`` / ``claims_by_model`` / ``claims_by_reason`` -> list of dicts, the largest first
    key (dealer code / model code / reason code), name, claims, amount_claimed, amount_approved,
    approval_rate, median_review_days, parts_not_returned
``dealer_scorecard`` -> list of dicts, ranked (a dealer's people get their own row only)
    rank, key (dealer code), name, registration_on_time_rate, response_compliance, claim_quality,
    satisfaction, score

Each row may carry ``links``: ``{column: url}`` to the claims behind a figure (the claims list filtered).
"""

from __future__ import annotations

from datetime import datetime
from importlib import import_module

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dashboards.sections.base import DECIMAL, INT, PERCENT, TEXT, Chart, Column, Row, Table
from tickets.dashboards.filters import DashboardFilters

DEFAULT_PROVIDER = "claims.dashboards"
# The filters claims figures take (the case filters do not narrow claims).
FIELDS = ("start", "end", "outlet", "province", "product_line")
SCORECARD_FIELDS = ("start", "end", "outlet", "province")

MONEY = DECIMAL
GROUP_COLUMNS = [
    Column("claims", _("claims"), INT),
    Column("amount_claimed", _("claimed"), MONEY),
    Column("amount_approved", _("approved"), MONEY),
    Column("approval_rate", _("approval rate"), PERCENT),
    Column("median_review_days", _("median review (days)"), DECIMAL),
    Column("parts_not_returned", _("old parts not returned"), INT),
]
TOTAL_COLUMNS = [
    Column("claims", _("claims"), INT),
    Column("approved", _("approved"), INT),
    Column("approved_in_part", _("approved in part"), INT),
    Column("rejected", _("rejected"), INT),
    Column("approval_rate", _("approval rate"), PERCENT),
    Column("amount_claimed", _("claimed"), MONEY),
    Column("amount_approved", _("approved amount"), MONEY),
    Column("median_review_days", _("median review (days)"), DECIMAL),
    Column("p90_review_days", _("90th percentile (days)"), DECIMAL),
    Column("parts_not_returned", _("old parts not returned"), INT),
    Column("statements", _("statements issued"), INT),
    Column("settled_amount", _("settled"), MONEY),
    Column("confirmed_amount", _("confirmed by the dealers"), MONEY),
]
SCORECARD_COLUMNS = [
    Column("rank", pgettext_lazy("dealer scorecard", "rank"), INT),
    Column("key", _("dealer"), TEXT),
    Column("name", _("name"), TEXT),
    Column("registration_on_time_rate", _("registered on time"), PERCENT),
    Column("response_compliance", _("response compliance"), PERCENT),
    Column("claim_quality", _("claim quality"), PERCENT),
    Column("satisfaction", _("satisfaction"), DECIMAL),
    Column("score", _("score"), DECIMAL),
]


def provider():
    """The claims app's dashboard selectors, or None while the app is not there."""
    name = getattr(settings, "DASHBOARD_CLAIMS_PROVIDER", DEFAULT_PROVIDER)
    try:
        return import_module(name)
    except ImportError:
        return None


def available() -> bool:
    return provider() is not None


def _rows(entries: list[dict], columns: list[Column]) -> list[Row]:
    keys = [column.key for column in columns]
    return [Row({key: entry.get(key) for key in keys}, dict(entry.get("links") or {})) for entry in entries]


def _group_table(key: str, title, label, entries: list[dict]) -> Table:
    columns = [Column("key", label, TEXT), Column("name", _("name"), TEXT), *GROUP_COLUMNS]
    return Table(
        key=key,
        title=title,
        columns=columns,
        rows=_rows(entries, columns),
        chart=Chart("bar", "key", ("amount_claimed", "amount_approved")),
    )


def build(*, user, filters: DashboardFilters, now: datetime) -> list[Table]:
    selectors = provider()
    totals = selectors.claims_totals(user=user, filters=filters, now=now)
    return [
        Table(
            key="claims_totals",
            title=_("Claims of the period"),
            columns=TOTAL_COLUMNS,
            rows=_rows([totals], TOTAL_COLUMNS),
            chart=Chart("values", "", ("approved", "approved_in_part", "rejected")),
        ),
        _group_table(
            "claims_by_dealer",
            _("Claims and cost per dealer"),
            _("dealer"),
            selectors.claims_by_dealer(user=user, filters=filters, now=now),
        ),
        _group_table(
            "claims_by_model",
            _("Claims and cost per model"),
            _("model"),
            selectors.claims_by_model(user=user, filters=filters, now=now),
        ),
        _group_table(
            "claims_by_reason",
            _("Claims per reason code"),
            _("reason"),
            selectors.claims_by_reason(user=user, filters=filters, now=now),
        ),
    ]


def build_scorecard(*, user, filters: DashboardFilters, now: datetime) -> list[Table]:
    entries = provider().dealer_scorecard(user=user, filters=filters, now=now)
    return [
        Table(
            key="scorecard",
            title=_("Dealer scorecard"),
            columns=SCORECARD_COLUMNS,
            rows=_rows(entries, SCORECARD_COLUMNS),
            chart=Chart("bar", "key", ("score",)),
            note=_("Ranked by score; a dealer sees its own row only."),
        )
    ]
