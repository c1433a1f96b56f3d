from tickets.models.calendars import BusinessCalendar, CalendarDate, CalendarWindow
from tickets.models.early_warning import EarlyWarning, EarlyWarningEvent, EarlyWarningRule
from tickets.models.escalation import Escalation, EscalationStep, Notification, SavedQueueView
from tickets.models.sla import DistanceBand, RegionZone, Severity, SLAMetric, SLAPolicy, SLATarget
from tickets.models.summaries import SLADaySummary, SLASummaryChange
from tickets.models.tickets import Ticket, TicketEvent, TicketPause, Timer
from tickets.models.visits import Visit, VisitPlan
from tickets.models.work import (
    Attachment,
    ChargeLine,
    FollowUp,
    Loaner,
    Quotation,
    RepairOrder,
    RepairReport,
    WorkLogEntry,
)

__all__ = [
    "Attachment",
    "ChargeLine",
    "Loaner",
    "Quotation",
    "RepairOrder",
    "RepairReport",
    "WorkLogEntry",
    "BusinessCalendar",
    "CalendarDate",
    "CalendarWindow",
    "DistanceBand",
    "EarlyWarning",
    "EarlyWarningEvent",
    "EarlyWarningRule",
    "Escalation",
    "FollowUp",
    "EscalationStep",
    "Notification",
    "SavedQueueView",
    "RegionZone",
    "SLADaySummary",
    "SLAMetric",
    "SLASummaryChange",
    "SLAPolicy",
    "SLATarget",
    "Severity",
    "Ticket",
    "TicketEvent",
    "TicketPause",
    "Timer",
    "Visit",
    "VisitPlan",
]
