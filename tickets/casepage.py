"""The case page: what it shows (the forms the case's state and the user's role allow, the others one click
away), and how a form's refusal is put beside the field it is about. The views in ``tickets.views`` parse
input and call the services; this module only builds what the template reads."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.errors import ApplicationError
from tickets import transitions
from tickets.forms import (
    AssignForm,
    AttachmentForm,
    ChargeForm,
    ComplaintAnswerForm,
    DecisionForm,
    EscalateForm,
    LoanerForm,
    QuotationForm,
    ResolveForm,
    WorkLogForm,
)
from tickets.models import Escalation, Notification, RepairOrder, Ticket, Timer
from tickets.permissions import case_actions

ACTIVE_TIMER_STATES = (Timer.State.RUNNING, Timer.State.BREACHED, Timer.State.PAUSED)

# Page form -> (form class, the case action it is in tickets.permissions).
PAGE_FORMS: dict[str, tuple[type[forms.Form], str]] = {
    "assign": (AssignForm, "assign"),
    "resolve": (ResolveForm, "resolve"),
    "worklog": (WorkLogForm, "work_log"),
    "charge": (ChargeForm, "charges"),
    "attachment": (AttachmentForm, "attachments"),
    "quotation": (QuotationForm, "quotations"),
    "decision": (DecisionForm, "quotation_decision"),
    "loaner": (LoanerForm, "loaners"),
    "escalate": (EscalateForm, "escalate"),
    "complaint": (ComplaintAnswerForm, "complaint_answer"),
}
# Details of a refusal that are for programs, not people: the case's current version (a stale page), the
# actions possible now (as codes; the message names them).
MACHINE_DETAILS = frozenset({"version", "allowed"})
# Descriptions longer than this are shown folded (the first part, "show all" opens the rest).
LONG_TEXT = 600


def new_form(name: str, *, user, ticket: Ticket) -> forms.Form:
    form_class = PAGE_FORMS[name][0]
    if name == "assign":
        return AssignForm(user=user, initial={"engineer": ticket.assigned_engineer_id})
    if name == "resolve":
        return ResolveForm(initial={"usage": ticket.unit.usage_reading if ticket.unit_id else None})
    return form_class()


def bound_form(name: str, request) -> forms.Form:
    form_class = PAGE_FORMS[name][0]
    if name == "assign":
        return AssignForm(request.POST, user=request.user)
    return form_class(request.POST, request.FILES)


def error_messages(error: ApplicationError) -> dict[str | None, list[str]]:
    """A service's refusal as messages per field (None: about the whole form): each detail once, the message
    itself only when no detail says it already. Details meant for programs (MACHINE_DETAILS: a stale page's
    version number, the codes of the actions possible) are never shown."""
    found: dict[str | None, list[str]] = {}
    shown: set[str] = set()
    for name, messages in error.details.items():
        if name in MACHINE_DETAILS:
            continue
        messages = messages if isinstance(messages, list) else [messages]
        texts = [text for text in dict.fromkeys(str(message) for message in messages) if text not in shown]
        if texts:
            found.setdefault(name, []).extend(texts)
            shown.update(texts)
    if not shown:
        found[None] = [str(error.message)]
    return found


def error_text(error: ApplicationError) -> str:
    return " ".join(text for texts in error_messages(error).values() for text in texts)


def apply_error(form: forms.Form, error: ApplicationError) -> None:
    """A service's refusal on the (validated) form it came from: beside its field, or above the form when the
    form has no such field."""
    for name, texts in error_messages(error).items():
        form.add_error(name if name in form.fields else None, texts)


def next_timer(ticket: Ticket, timers: list[Timer]) -> Timer | None:
    active = [t for t in timers if t.state in ACTIVE_TIMER_STATES and t.stopped_at is None and t.due_at]
    return min(active, key=lambda t: t.due_at, default=None)


@dataclass(frozen=True)
class Complaint:
    """A case's complaint as the page shows it: open or answered, its deadline, who was told."""

    due_at: object
    answered_at: object
    overdue: bool
    # [{"kind", "at", "names", "others"}], first the service managers, then the department managers; names only
    # of the people the viewer may see (a dealer sees its own people), the others counted
    told: list[dict]

    @property
    def open(self) -> bool:
        return self.answered_at is None


def complaint_of(ticket: Ticket, *, now, user) -> Complaint | None:
    if ticket.complaint_due_at is None:
        return None
    from aftersales.models import User
    from aftersales.scoping import scope_for

    told: dict[str, dict] = {}
    notifications = (
        Notification.objects.filter(ticket=ticket, kind__in=("complaint", "complaint_overdue"))
        .select_related("recipient")
        .order_by("created_at", "id")
    )
    notifications = list(notifications)
    visible = set(
        scope_for(user, User.objects.filter(pk__in={n.recipient_id for n in notifications})).values_list(
            "pk", flat=True
        )
    )
    for notification in notifications:
        entry = told.setdefault(
            notification.kind, {"kind": notification.kind, "at": notification.created_at, "names": [], "others": 0}
        )
        if notification.recipient_id in visible:
            entry["names"].append(notification.recipient.get_full_name() or notification.recipient.username)
        else:
            entry["others"] += 1
    return Complaint(
        due_at=ticket.complaint_due_at,
        answered_at=ticket.complaint_answered_at,
        overdue=ticket.complaint_answered_at is None and ticket.complaint_due_at <= now,
        told=list(told.values()),
    )


def open_panels(ticket: Ticket, *, timers: list[Timer], loaners, quotations, complaint, has_order: bool) -> set[str]:
    """The forms the case's state calls for now: shown open; the others the user may use are one click away."""
    status = ticket.status
    working = status in transitions.OPEN_STATUSES and status != transitions.NEW
    wanted: set[str] = set()
    if status == transitions.IN_PROGRESS:
        wanted.add("resolve")
    if working:
        wanted.add("worklog")
        if not ticket.chargeable or any(q.status == "approved" for q in quotations):
            wanted.add("charge")
    if status == transitions.RESOLVED and not has_order:
        wanted.add("charge")
    quoted = any(q.status in ("sent", "approved") for q in quotations)
    if ticket.chargeable and status in transitions.OPEN_STATUSES and not quoted:
        wanted.add("quotation")
    breached = any(t.state == Timer.State.BREACHED and t.stopped_at is None for t in timers)
    if status in transitions.OPEN_STATUSES:
        if (ticket.loaner_requested_at or breached) and not any(loaner.returned_at is None for loaner in loaners):
            wanted.add("loaner")
        if breached and not ticket.escalated_at:
            wanted.add("escalate")
    if complaint is not None and complaint.open:
        wanted.add("complaint")
    return wanted


def case_context(request, ticket: Ticket, *, bound: dict[str, forms.Form] | None = None, action_error: str = ""):
    """Everything the case page (or its htmx part) renders; ``bound`` holds forms as posted, with errors."""
    bound = bound or {}
    user = request.user
    now = timezone.now()
    permitted = case_actions(user, ticket)
    timers = list(ticket.timers.all())
    quotations = list(ticket.quotations.order_by("-created_at"))
    loaners = list(ticket.loaners.order_by("lent_at"))
    order = RepairOrder.objects.filter(ticket=ticket).first()
    complaint = complaint_of(ticket, now=now, user=user)
    page_forms = {
        name: bound.get(name) or new_form(name, user=user, ticket=ticket)
        for name, (_form, action) in PAGE_FORMS.items()
        if action in permitted
    }
    wanted = open_panels(
        ticket, timers=timers, loaners=loaners, quotations=quotations, complaint=complaint, has_order=order is not None
    )
    # A form just posted stays open, with what was typed and its errors.
    wanted |= set(bound)
    allowed = [action for action in transitions.allowed_actions(ticket.status) if action in permitted]
    charges = list(ticket.charge_lines.order_by("created_at"))
    upcoming = next_timer(ticket, timers)
    deadlines = [{"label": upcoming.metric.label, "due_at": upcoming.due_at}] if upcoming else []
    if complaint is not None and complaint.open:
        deadlines.append({"label": _("Complaint answer"), "due_at": complaint.due_at})
    return {
        "ticket": ticket,
        "timers": timers,
        "next_due": min(deadlines, key=lambda deadline: deadline["due_at"], default=None),
        "allowed": allowed,
        "permitted": permitted,
        "forms": page_forms,
        "open": wanted,
        "action_error": action_error,
        "complaint": complaint,
        "long_description": len(ticket.description) > LONG_TEXT,
        "work_log": ticket.work_log.select_related("engineer").order_by("-created_at"),
        "charges": charges,
        "attachments": ticket.attachments.order_by("uploaded_at"),
        "events": ticket.events.select_related("actor").order_by("-at", "-id"),
        "order": order,
        "quotations": quotations,
        "escalations": Escalation.objects.filter(timer__ticket=ticket)
        .select_related("step", "timer__metric", "acknowledged_by")
        .order_by("fired_at", "id"),
        "loaners": loaners,
        "show_billing": bool(
            ticket.chargeable
            or quotations
            or loaners
            or ticket.emergency_plan
            or {"quotation", "loaner", "escalate"} & wanted
        ),
        "now": now,
    }
