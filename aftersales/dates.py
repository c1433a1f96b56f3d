"""Business dates: the calendar day an instant falls on in the zone of what it belongs to.

Coverage on a day, price-list days, follow-up and visit days, ticket numbers and registration lateness are
facts of a calendar, a policy or a site, so they are taken in that zone (default ``settings.TIME_ZONE``) and
never in the zone activated for the person asking: an agent in Berlin and one in Shanghai get the same answer.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def business_zone(zone: str | None = None) -> ZoneInfo:
    """The zone business dates are taken in: ``zone`` (a calendar's), else ``settings.TIME_ZONE`` —
    policies and sites carry no zone of their own; never the viewer's activated zone."""
    return ZoneInfo(zone or settings.TIME_ZONE)


def business_date(moment: datetime | None = None, *, zone: str | None = None) -> date:
    """The date of ``moment`` (default: now) in ``zone`` (a calendar's, policy's or site's; default
    ``settings.TIME_ZONE``), whatever zone is active for the request."""
    moment = moment or timezone.now()
    return moment.astimezone(business_zone(zone)).date()
