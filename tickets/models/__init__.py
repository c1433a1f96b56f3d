from tickets.models.calendars import BusinessCalendar, CalendarDate, CalendarWindow
from tickets.models.sla import DistanceBand, RegionZone, Severity, SLAMetric, SLAPolicy, SLATarget

__all__ = [
    "BusinessCalendar",
    "CalendarDate",
    "CalendarWindow",
    "DistanceBand",
    "RegionZone",
    "SLAMetric",
    "SLAPolicy",
    "SLATarget",
    "Severity",
]
