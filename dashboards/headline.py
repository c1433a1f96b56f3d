"""The headline figures the managers land on (the overview page, and the role home pages through it): the
last 30 days' SLA compliance, open cases past due and at risk with the nearest deadlines, service quality,
open early warnings, and the claims once that app is in. Light selectors only: no trend, no breakdown."""

from __future__ import annotations

from datetime import datetime, timedelta

from aftersales.dates import business_date
from dashboards import access
from dashboards.sections import SECTIONS, claims
from dashboards.sections.base import drill
from tickets.dashboards import quality, sla
from tickets.dashboards.drilldown import figure
from tickets.dashboards.filters import DEFAULT_DAYS, period_filters
from tickets.dashboards.warnings import warning_list

AT_RISK_SHOWN = 10


def headline(*, user, now: datetime) -> dict:
    today = business_date(now)
    filters = period_filters(start=today - timedelta(days=DEFAULT_DAYS - 1), end=today)
    result: dict = {"filters": filters, "params": filters.params()}
    if user.has_role(*access.DASHBOARD_VIEWERS):
        compliance = sla.sla_compliance(user=user, filters=filters, now=now)
        met = sum(row["met"] for row in compliance)
        breached = sum(row["breached"] for row in compliance)
        states = sla.sla_open_states(user=user, filters=filters, now=now)
        result["sla"] = {
            "overall": None if met + breached == 0 else round(100 * met / (met + breached), 1),
            "metrics": compliance,
            "states": states,
            "past_due_link": drill(filters, figure("open", "past_due", filters.risk_hours)),
            "at_risk_link": drill(filters, figure("open", "at_risk", filters.risk_hours)),
            "at_risk": sla.sla_at_risk(user=user, filters=filters, now=now, limit=AT_RISK_SHOWN),
            "loaners": sla.sla_loaners(user=user, filters=filters),
        }
        result["quality"] = quality.quality_headline(user=user, filters=filters, now=now)
    if user.has_role(*access.WARNING_VIEWERS):
        result["warnings"] = warning_list(user=user, status="open", limit=5)
    if claims.available() and user.has_role(*SECTIONS["claims"].roles):
        result["claims"] = claims.provider().claims_totals(user=user, filters=filters, now=now)
    return result
