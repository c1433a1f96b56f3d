"""Notices about missing statutory holiday data: the admins' banner (admin and home page) and the case page's."""

from django import template
from django.urls import reverse

from aftersales.roles import Role
from aftersales.scoping import viewer
from tickets.services.holidays import holiday_gaps, ticket_uncovered_years

register = template.Library()


def _is_admin(user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return (user.is_superuser or user.has_role(Role.ADMIN)) and viewer(user).everything


@register.inclusion_tag("tickets/holidays/banner.html", takes_context=True)
def holiday_gaps_banner(context):
    """For the manufacturer's admins: the years a calendar following China's statutory days lacks data for."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not _is_admin(user):
        return {"gaps": None}
    gaps = holiday_gaps()
    add_url = reverse("admin:warranty_holidayschedule_add")
    return {
        "gaps": gaps or None,
        "links": [(year, f"{add_url}?year={year}") for year in gaps.years],
        "import_url": reverse("admin:warranty_holidayschedule_import"),
    }


@register.inclusion_tag("tickets/holidays/case_notice.html")
def holiday_case_notice(ticket, timers):
    """On a case page: its deadlines run into a year whose statutory holidays are not known."""
    return {"years": ticket_uncovered_years(ticket, timers)}
