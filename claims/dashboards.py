"""The dashboards' "claims and dealers" section and the dealer scorecard (dashboards.sections.claims names
the selectors and their row keys): aggregated in PostgreSQL, scoped to the user who asks.

What the figures count (dates are business dates, ``settings.TIME_ZONE``):

- **Claims of the period** are the claims first submitted in it, withdrawn ones left out. Approved, approved
  in part and rejected are their current outcome (an appeal's decision replaces the first); the approval
  rate is the share of the decided ones approved in full or in part. Claimed and approved amounts are the
  claims' totals.
- **Review cycle time** is the days from the first submission to the (latest) decision, median and 90th
  percentile (``percentile_cont``), of the decided claims.
- **Old parts not returned** are lines of those claims whose required old part was not received by its due
  day (before today; the deadline job rejects them).
- **Settled** is the total of the statements issued in the period (their lines of the claims in the
  filters); **confirmed** the part the dealers have confirmed.
- **Per reason code**: the reduced or rejected lines carrying it — claims with such a line, the lines'
  claimed and approved amounts, the approval rate as the share of the claimed amount still approved, the
  review time of those claims.
- **Dealer scorecard** per dealer for the period: units it sold (invoice date in the period) registered on
  time (within 20 days of the sale); response compliance of its outlet — SLA timers of the cases it served
  that stopped met, out of met and breached (``not_needed`` left out); claim quality — approved ÷ claimed
  amount of its decided claims of the period; satisfaction — the mean 1–5 score of the follow-up surveys done
  in the period on the cases it served. The score is the mean of those that exist (satisfaction × 20). Ranked
  over every active dealer (``RANK()``); a dealer's people get their own row with its rank.

Filters that apply: the period, ``outlet`` (the dealer's code), ``province`` (the dealer's) and
``product_line`` (the unit's; not on the scorecard). The case filters (severity, channel, engineer,
customer, SLA policy) do not narrow claims.

Every figure links to the claims list filtered to the claims behind it (``claims.filters.ClaimFilter``
takes the same parameters).
"""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlencode

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Count,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Extract
from django.urls import reverse

from aftersales.dates import business_date
from aftersales.scoping import scope_for, viewer
from claims import transitions
from claims.models import Claim, ClaimLine, ReasonCode, SettlementLine, SettlementStatement
from claims.models.config import localized_name
from claims.selectors import claim_scope
from dealers.models import Dealer
from tickets.dashboards.drilldown import figure
from tickets.dashboards.filters import DashboardFilters
from tickets.dashboards.sql import PercentileCont
from tickets.models import FollowUp, Ticket, Timer
from warranty.models import Unit

GROUP_SIZE = 50
PART_NOT_RETURNED = "part_not_returned"
SECONDS_A_DAY = 86400
COUNTED = [status for status, _label in Claim.Status.choices if status not in (transitions.DRAFT, "withdrawn")]
ZERO = Value(0, output_field=DecimalField(max_digits=14, decimal_places=2))


# -- the claims behind the figures (shared with the claims list's filters) -----------------------------


def claim_params(filters: DashboardFilters, **narrow) -> dict[str, str]:
    """The claims list's parameters for the claims a figure counts."""
    params = {"submitted_from": filters.start.isoformat(), "submitted_to": filters.end.isoformat()}
    if filters.outlet:
        params["dealer"] = filters.outlet
    if filters.province:
        params["province"] = filters.province
    if filters.product_line:
        params["product_line"] = filters.product_line
    params.update({name: str(value) for name, value in narrow.items()})
    return params


def claims_link(filters: DashboardFilters, *, status: list[str] | None = None, **narrow) -> str:
    query = [("status", value) for value in (status or COUNTED)]
    query.extend(sorted(claim_params(filters, **narrow).items()))
    return f"{reverse('claims:list')}?{urlencode(query)}"


def filter_submitted(claims: QuerySet[Claim], start: date | None, end: date | None) -> QuerySet[Claim]:
    """Claims first submitted from ``start`` to ``end`` (business dates, inclusive)."""
    from tickets.dashboards.filters import period_filters

    if start is not None:
        claims = claims.filter(submitted_at__gte=period_filters(start=start, end=start).start_at)
    if end is not None:
        claims = claims.filter(submitted_at__lt=period_filters(start=end, end=end).end_at)
    return claims


def not_returned_q(today: date, prefix: str = "") -> Q:
    """A required old part not received by its due day (before ``today``): on a line still to be paid, or
    one rejected for it (the deadline job's "part not returned"); a line rejected for another reason owes
    no part."""
    return Q(
        **{
            f"{prefix}return_required": True,
            f"{prefix}part_received_at__isnull": True,
            f"{prefix}return_due_on__lt": today,
        }
    ) & (~Q(**{f"{prefix}decision": ClaimLine.Decision.REJECTED}) | Q(**{f"{prefix}reason__code": PART_NOT_RETURNED}))


def period_claims(*, user, filters: DashboardFilters) -> QuerySet[Claim]:
    """The user's claims first submitted in the period, withdrawn ones left out, narrowed by the filters
    that apply to claims."""
    claims = claim_scope(user=user).filter(status__in=COUNTED)
    claims = filter_submitted(claims, filters.start, filters.end)
    if filters.outlet:
        claims = claims.filter(dealer__code__iexact=filters.outlet)
    if filters.province:
        claims = claims.filter(dealer__province__iexact=filters.province)
    if filters.product_line:
        claims = claims.filter(unit__product_model__product_line__code__iexact=filters.product_line)
    return claims


def _review_days():
    return Extract(ExpressionWrapper(F("decided_at") - F("submitted_at"), output_field=DurationField()), "epoch")


def _days(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / SECONDS_A_DAY, 1)


def _rate(part, whole) -> float | None:
    return None if not whole else round(100 * float(part) / float(whole), 1)


def _aggregates(today: date) -> dict:
    decided = Q(status__in=transitions.DECIDED)
    return {
        "claims": Count("id"),
        "approved": Count("id", filter=Q(status=transitions.APPROVED)),
        "approved_in_part": Count("id", filter=Q(status=transitions.PARTLY_APPROVED)),
        "rejected": Count("id", filter=Q(status=transitions.REJECTED)),
        "amount_claimed": Coalesce(Sum("claimed_total"), ZERO),
        "amount_approved": Coalesce(Sum("approved_total"), ZERO),
        "median_seconds": PercentileCont(_review_days(), 0.5, filter=decided),
        "p90_seconds": PercentileCont(_review_days(), 0.9, filter=decided),
    }


def _finish(row: dict) -> dict:
    decided = row["approved"] + row["approved_in_part"] + row["rejected"]
    row["approval_rate"] = _rate(row["approved"] + row["approved_in_part"], decided)
    row["median_review_days"] = _days(row.pop("median_seconds"))
    row["p90_review_days"] = _days(row.pop("p90_seconds"))
    return row


def _not_returned_counts(claims: QuerySet[Claim], today: date, group: str | None = None) -> dict:
    """Old parts not returned on the claims' lines, in all or per ``group`` (a path from the claim)."""
    lines = ClaimLine.objects.filter(not_returned_q(today), claim__in=claims.values("id"))
    if group is None:
        return {None: lines.count()}
    counted = lines.order_by().values(group_key=F(f"claim__{group}")).annotate(n=Count("id"))
    return {row["group_key"]: row["n"] for row in counted}


# -- the selectors -----------------------------------------------------------------------------------


def claims_totals(*, user, filters: DashboardFilters, now: datetime) -> dict:
    today = business_date(now)
    claims = period_claims(user=user, filters=filters)
    row = _finish(claims.aggregate(**_aggregates(today)))
    row["parts_not_returned"] = _not_returned_counts(claims, today)[None]
    settled = SettlementLine.objects.filter(
        statement__in=scope_for(user, SettlementStatement.objects.all()),
        statement__issued_at__gte=filters.start_at,
        statement__issued_at__lt=filters.end_at,
    )
    if filters.outlet:
        settled = settled.filter(statement__dealer__code__iexact=filters.outlet)
    if filters.province:
        settled = settled.filter(statement__dealer__province__iexact=filters.province)
    if filters.product_line:
        settled = settled.filter(line__claim__unit__product_model__product_line__code__iexact=filters.product_line)
    totals = settled.aggregate(
        settled=Coalesce(Sum("amount"), ZERO),
        confirmed=Coalesce(Sum("amount", filter=Q(statement__status=SettlementStatement.Status.CONFIRMED)), ZERO),
        statements=Count("statement", distinct=True),
    )
    row["settled_amount"] = totals["settled"]
    row["confirmed_amount"] = totals["confirmed"]
    row["statements"] = totals["statements"]
    row["links"] = {
        "claims": claims_link(filters),
        "approved": claims_link(filters, status=[transitions.APPROVED]),
        "approved_in_part": claims_link(filters, status=[transitions.PARTLY_APPROVED]),
        "rejected": claims_link(filters, status=[transitions.REJECTED]),
        "parts_not_returned": claims_link(filters, parts_not_returned=today.isoformat()),
        "settled_amount": reverse("claims:statements"),
    }
    return row


def _grouped(*, user, filters, now, key: str, name: str, param: str, limit: int) -> list[dict]:
    today = business_date(now)
    claims = period_claims(user=user, filters=filters)
    rows = list(
        claims.order_by()
        .values(group_key=F(key), group_name=F(name))
        .annotate(**_aggregates(today))
        .order_by("-amount_claimed", "group_key")[:limit]
    )
    missing = _not_returned_counts(claims, today, key)
    result = []
    for row in rows:
        row = _finish(row)
        code = row.pop("group_key")
        row["key"], row["name"] = code, row.pop("group_name")
        row["parts_not_returned"] = missing.get(code, 0)
        row["links"] = {
            "claims": claims_link(filters, **{param: code}),
            "parts_not_returned": claims_link(filters, parts_not_returned=today.isoformat(), **{param: code}),
        }
        result.append(row)
    return result


def claims_by_dealer(*, user, filters: DashboardFilters, now: datetime, limit: int = GROUP_SIZE) -> list[dict]:
    return _grouped(
        user=user, filters=filters, now=now, key="dealer__code", name="dealer__name", param="dealer", limit=limit
    )


def claims_by_model(*, user, filters: DashboardFilters, now: datetime, limit: int = GROUP_SIZE) -> list[dict]:
    return _grouped(
        user=user,
        filters=filters,
        now=now,
        key="unit__product_model__code",
        name="unit__product_model__name",
        param="model",
        limit=limit,
    )


def claims_by_reason(*, user, filters: DashboardFilters, now: datetime, limit: int = GROUP_SIZE) -> list[dict]:
    """Per reason code, the reduced or rejected lines carrying it (one SQL statement: the lines' sums and,
    over the distinct claims of each reason, their review time)."""
    today = business_date(now)
    claims = period_claims(user=user, filters=filters)
    try:
        claims_sql, claims_params = (
            claims.order_by().values("id", "submitted_at", "decided_at", "status").query.sql_with_params()
        )
    except EmptyResultSet:  # the user may see no claims
        return []
    line, reason = ClaimLine._meta.db_table, ReasonCode._meta.db_table
    sql = f"""
        WITH c AS ({claims_sql}),
        l AS (
            SELECT l.reason_id, l.claim_id, l.claimed_amount, l.approved_amount,
                   (l.return_required AND l.part_received_at IS NULL AND l.return_due_on < %s
                    AND (l.decision <> 'rejected' OR rc.code = %s)) AS not_returned
            FROM {line} l JOIN c ON c.id = l.claim_id JOIN {reason} rc ON rc.id = l.reason_id
            WHERE l.reason_id IS NOT NULL
        ),
        sums AS (
            SELECT reason_id, count(DISTINCT claim_id) AS claims, sum(claimed_amount) AS amount_claimed,
                   coalesce(sum(approved_amount), 0) AS amount_approved,
                   count(*) FILTER (WHERE not_returned) AS parts_not_returned
            FROM l GROUP BY reason_id
        ),
        times AS (
            SELECT r.reason_id,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM c.decided_at - c.submitted_at))
                       FILTER (WHERE c.status = ANY(%s)) AS median_seconds
            FROM (SELECT DISTINCT reason_id, claim_id FROM l) r JOIN c ON c.id = r.claim_id
            GROUP BY r.reason_id
        )
        SELECT rc.code, rc.name, rc.name_en, sums.claims, sums.amount_claimed, sums.amount_approved,
               sums.parts_not_returned, times.median_seconds
        FROM sums JOIN times USING (reason_id) JOIN {reason} rc ON rc.id = sums.reason_id
        ORDER BY sums.amount_claimed DESC, rc.code
        LIMIT %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*claims_params, today, PART_NOT_RETURNED, list(transitions.DECIDED), limit])
        rows = cursor.fetchall()
    result = []
    for code, name, name_en, count, claimed, approved, not_returned, median in rows:
        result.append(
            {
                "key": code,
                "name": localized_name(ReasonCode(name=name, name_en=name_en)),
                "claims": count,
                "amount_claimed": claimed,
                "amount_approved": approved,
                "approval_rate": _rate(approved, claimed),
                "median_review_days": _days(median),
                "parts_not_returned": not_returned,
                "links": {"claims": claims_link(filters, reason=code)},
            }
        )
    return result


def dealer_scorecard(*, user, filters: DashboardFilters, now: datetime) -> list[dict]:
    """Every active dealer's scorecard, ranked by score in SQL; a dealer's people get their own row."""
    scope = viewer(user)
    if scope.nothing:
        return []
    dealer, unit, claim = Dealer._meta.db_table, Unit._meta.db_table, Claim._meta.db_table
    timer, ticket, followup = Timer._meta.db_table, Ticket._meta.db_table, FollowUp._meta.db_table
    where, params = ["d.is_active"], []
    if filters.outlet:
        where.append("upper(d.code) = upper(%s)")
        params.append(filters.outlet)
    if filters.province:
        where.append("upper(d.province) = upper(%s)")
        params.append(filters.province)
    start_at, end_at = filters.start_at, filters.end_at
    sql = f"""
        WITH d AS (SELECT d.id, d.code, d.name FROM {dealer} d WHERE {" AND ".join(where)}),
        reg AS (
            SELECT u.selling_dealer_id AS dealer_id,
                   100.0 * count(*) FILTER (WHERE NOT u.registered_late) / count(*) AS rate
            FROM {unit} u JOIN d ON d.id = u.selling_dealer_id
            WHERE u.invoice_date BETWEEN %s AND %s
            GROUP BY u.selling_dealer_id
        ),
        sla AS (
            SELECT k.serving_outlet_id AS dealer_id,
                   100.0 * count(*) FILTER (WHERE t.state = 'met') / count(*) AS rate
            FROM {timer} t JOIN {ticket} k ON k.id = t.ticket_id JOIN d ON d.id = k.serving_outlet_id
            WHERE t.stopped_at >= %s AND t.stopped_at < %s AND t.state IN ('met', 'breached')
            GROUP BY k.serving_outlet_id
        ),
        quality AS (
            SELECT c.dealer_id, 100.0 * sum(c.approved_total) / nullif(sum(c.claimed_total), 0) AS rate
            FROM {claim} c JOIN d ON d.id = c.dealer_id
            WHERE c.submitted_at >= %s AND c.submitted_at < %s AND c.status = ANY(%s)
            GROUP BY c.dealer_id
        ),
        sat AS (
            SELECT k.serving_outlet_id AS dealer_id, avg((f.attitude + f.quality + f.solved) / 3.0) AS mean
            FROM {followup} f JOIN {ticket} k ON k.id = f.ticket_id JOIN d ON d.id = k.serving_outlet_id
            WHERE f.status = 'done' AND f.done_at >= %s AND f.done_at < %s
              AND f.attitude IS NOT NULL AND f.quality IS NOT NULL AND f.solved IS NOT NULL
            GROUP BY k.serving_outlet_id
        ),
        card AS (
            SELECT d.id, d.code, d.name, reg.rate AS reg, sla.rate AS sla, quality.rate AS quality, sat.mean AS sat,
                   (coalesce(reg.rate, 0) + coalesce(sla.rate, 0) + coalesce(quality.rate, 0)
                        + coalesce(sat.mean * 20, 0))
                   / nullif((reg.rate IS NOT NULL)::int + (sla.rate IS NOT NULL)::int
                        + (quality.rate IS NOT NULL)::int + (sat.mean IS NOT NULL)::int, 0) AS score
            FROM d LEFT JOIN reg ON reg.dealer_id = d.id LEFT JOIN sla ON sla.dealer_id = d.id
                   LEFT JOIN quality ON quality.dealer_id = d.id LEFT JOIN sat ON sat.dealer_id = d.id
        ),
        ranked AS (SELECT card.*, rank() OVER (ORDER BY score DESC NULLS LAST) AS rank FROM card)
        SELECT rank, id, code, name, reg, sla, quality, sat, score FROM ranked
        {"WHERE id = %s" if scope.dealer_id is not None else ""}
        ORDER BY rank, code
    """
    params += [filters.start, filters.end, start_at, end_at, start_at, end_at, list(transitions.DECIDED)]
    params += [start_at, end_at]
    if scope.dealer_id is not None:
        params.append(scope.dealer_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()

    def rounded(value, places=1):
        return None if value is None else round(float(value), places)

    sla_page = reverse("dashboards:section", kwargs={"key": "sla"})
    result = []
    for rank, _pk, code, name, reg, sla, quality, sat, score in rows:
        period = {"start": filters.start.isoformat(), "end": filters.end.isoformat()}
        result.append(
            {
                "rank": rank,
                "key": code,
                "name": name,
                "registration_on_time_rate": rounded(reg),
                "response_compliance": rounded(sla),
                "claim_quality": rounded(quality),
                "satisfaction": rounded(sat, 2),
                "score": rounded(score),
                "links": {
                    # Figures with nothing behind them (no timer, claim or survey in the period) link nowhere.
                    "response_compliance": f"{sla_page}?{urlencode({**period, 'outlet': code, 'group': 'outlet'})}",
                    "claim_quality": claims_link(
                        DashboardFilters(start=filters.start, end=filters.end, outlet=code),
                        status=list(transitions.DECIDED),
                    ),
                    "satisfaction": _survey_link(filters, code),
                },
            }
        )
        row = result[-1]
        row["links"] = {key: link for key, link in row["links"].items() if row[key] is not None}
    return result


def _survey_link(filters: DashboardFilters, code: str) -> str:
    """The case queue listing the cases of the dealer's outlet whose follow-up survey the mean counts."""
    query = [("status", status) for status in Ticket.Status.values]
    query += [("figure", figure("survey", filters.start, filters.end)), ("outlet", code)]
    return f"{reverse('tickets:queue')}?{urlencode(query, safe=':')}"
