"""The dashboard sections, in the order the overview shows them. A section is a page under /dashboard/<key>/,
an endpoint under /api/v1/dashboard/<key>/ and its exports; all three render its tables."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from aftersales.errors import ApplicationError
from dashboards import access
from dashboards.sections import claims, quality, sla
from dashboards.sections.base import Section

SECTION_UNAVAILABLE = "dashboard_section_unavailable"

SECTIONS: dict[str, Section] = {
    section.key: section
    for section in (
        Section("sla", _("SLA compliance and risk"), access.DASHBOARD_VIEWERS, sla.build),
        Section("quality", _("Service quality"), access.DASHBOARD_VIEWERS, quality.build),
        Section(
            "claims", _("Claims and dealers"), access.CLAIMS_VIEWERS, claims.build, claims.available, claims.FIELDS
        ),
        Section(
            "scorecard",
            _("Dealer scorecard"),
            access.SCORECARD_VIEWERS,
            claims.build_scorecard,
            claims.available,
            claims.SCORECARD_FIELDS,
        ),
    )
}


def section_get(key: str) -> Section:
    """A section that exists and is filled; else 404 with a stable code (the claims sections until the
    dealer-claims app is installed)."""
    section = SECTIONS.get(key)
    if section is None or not section.available():
        raise ApplicationError(SECTION_UNAVAILABLE, _("This dashboard is not available."), status=404)
    return section


def visible_sections(user) -> list[Section]:
    return [section for section in SECTIONS.values() if section.available() and user.has_role(*section.roles)]
