"""The labels of the repair cases' code lists (aftersales.labels): event kinds, actions, statuses, roles,
work-log, attachment and charge kinds, and the default severities and SLA metrics."""

from django.utils.translation import gettext_lazy as _

from aftersales.labels import register
from aftersales.roles import Role
from tickets import transitions

ACTION_LABELS = {
    "assign": _("Assign"),
    "contact": _("Customer contacted"),
    "start_remote": _("Start remote session"),
    "check_in": _("Check in on site"),
    "check_out": _("Check out"),
    "wait_customer": _("Wait for customer"),
    "wait_parts": _("Wait for parts"),
    "resume": _("Resume"),
    "resolve": _("Resolve"),
    "confirm": _("Customer confirmed"),
    "close": _("Close"),
    "reopen": _("Reopen"),
    "cancel": _("Cancel case"),
}

EVENT_LABELS = {
    **ACTION_LABELS,
    "created": _("Case opened"),
    "severity_changed": _("Severity changed"),
    "policy_changed": _("SLA policy changed"),
    "attachment_added": _("Attachment added"),
    "worklog_call": _("Call logged"),
    "worklog_remote": _("Remote session logged"),
    "worklog_visit": _("On-site visit logged"),
    "worklog_note": _("Note added"),
    "part_added": _("Part added"),
    "labour_added": _("Labour added"),
    "repair_order_signed": _("Repair order signed by the customer"),
    "followup_done": _("Follow-up call done"),
    "complaint": _("Complaint opened"),
    "complaint_answered": _("Complaint answered"),
    "escalation": _("Escalated at a deadline step"),
    "escalated": _("Escalated by hand"),
    "escalation_acknowledged": _("Escalation acknowledged"),
    "escalation_action_refused": _("Escalation step not carried out"),
    "quotation_sent": _("Quotation sent"),
    "quotation_approved": _("Quotation approved"),
    "quotation_rejected": _("Quotation declined"),
    "loaner_requested": _("Substitute unit requested"),
    "loaner_issued": _("Substitute unit lent"),
    "loaner_returned": _("Substitute unit returned"),
    # Early warnings' history.
    "raised": _("Warning raised"),
    "count_changed": _("Count changed"),
    "notified": _("Quality managers told"),
    "acknowledged": _("Acknowledged"),
}

SEVERITY_LABELS = {
    "critical": _("Critical fault"),
    "major": _("Major fault"),
    "minor": _("Minor fault"),
}
METRIC_LABELS = {
    "first_response": _("Phone response"),
    "remote_response": _("Remote response"),
    "onsite_arrival": _("On-site arrival"),
    "resolution": _("Resolution"),
    "loaner": _("Substitute unit due"),
}


def install() -> None:
    from tickets.models import Attachment, ChargeLine, Ticket, WorkLogEntry

    register("action", ACTION_LABELS)
    register("event", EVENT_LABELS)
    register("status", dict(Ticket.Status.choices))
    register("role", dict(Role.choices))
    register("worklog", dict(WorkLogEntry.Kind.choices))
    register("attachment", dict(Attachment.Kind.choices))
    register("charge", dict(ChargeLine.Kind.choices))
    register("severity", SEVERITY_LABELS)
    register("metric", METRIC_LABELS)
    assert set(transitions.TRANSITIONS) <= set(ACTION_LABELS)
