"""Service-desk pages: the queue, intake, the case page, signing and printing the repair order, my cases."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from aftersales.dates import business_date
from aftersales.decorators import role_required
from aftersales.errors import ApplicationError
from aftersales.roles import Role
from dealers.selectors import own_dealer
from tickets import sla, transitions
from tickets.filters import TicketFilter
from tickets.forms import (
    AssignForm,
    AttachmentForm,
    ChargeForm,
    DecisionForm,
    EscalateForm,
    FollowUpForm,
    IntakeForm,
    LoanerForm,
    QuotationForm,
    ResolveForm,
    SignForm,
    VisitForm,
    WorkLogForm,
)
from tickets.models import Escalation, FollowUp, Notification, RepairOrder, Ticket, Timer, Visit
from tickets.permissions import CREATORS, case_actions, may_act
from tickets.roles import CASE_READERS, CASE_WRITERS
from tickets.selectors import by_next_deadline, ticket_get, ticket_scope, visit_scope, with_related
from tickets.services import billing
from tickets.services import followups as followup_services
from tickets.services import tickets as ticket_services
from tickets.services import visits as visit_services
from tickets.services import work as work_services
from tickets.services.escalation import escalation_acknowledge
from tickets.services.notifications import notification_mark_read
from warranty.selectors import unit_get

ACTIVE_TIMER_STATES = (Timer.State.RUNNING, Timer.State.BREACHED, Timer.State.PAUSED)


def next_timer(ticket: Ticket) -> Timer | None:
    """The deadline that matters most now: the earliest running or breached one (from prefetched timers)."""
    active = [t for t in ticket.timers.all() if t.state in ACTIVE_TIMER_STATES and t.stopped_at is None and t.due_at]
    return min(active, key=lambda t: t.due_at, default=None)


def rows(tickets) -> list[dict]:
    return [{"ticket": ticket, "next": next_timer(ticket)} for ticket in tickets]


class CappedPaginator(Paginator):
    """Counts at most ``cap`` rows: a COUNT over every open case would read them all on each page view. Past
    the cap the total reads "200+" and the queue pages through the first ``cap`` cases of its order (the
    filters narrow it further)."""

    cap = 10_000

    @cached_property
    def count(self) -> int:
        # In the page's order: the first cap + 1 rows of the list's index, not every matching case.
        return self.object_list[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @cached_property
    def num_pages(self) -> int:
        return max(1, -(-min(self.count, self.cap) // self.per_page)) if self.count else 1

    @cached_property
    def num_pages_label(self) -> str:
        return f"{self.num_pages}+" if self.capped else str(self.num_pages)


@role_required(*CASE_READERS)
def queue(request):
    params = request.GET.copy()
    if not params.get("status"):
        params.setlist("status", list(transitions.OPEN_STATUSES))
    tickets = with_related(ticket_scope(user=request.user))
    filtered = TicketFilter(params, queryset=tickets)
    ordered = (
        by_next_deadline(filtered.qs)
        if request.GET.get("sort", "due") == "due"
        else filtered.qs.order_by("-reported_at", "-id")
    )
    page = CappedPaginator(ordered, 50).get_page(request.GET.get("page"))
    entries = rows(page.object_list)
    return render(
        request, "tickets/queue.html", {"filter": filtered, "page": page, "entries": entries, "now": timezone.now()}
    )


@role_required(*CASE_READERS)
def my_cases(request):
    tickets = with_related(
        ticket_scope(user=request.user).filter(
            assigned_engineer=request.user, status__in=transitions.OPEN_STATUSES + (transitions.RESOLVED,)
        )
    )
    return render(request, "tickets/my_cases.html", {"entries": rows(by_next_deadline(tickets))})


@role_required(*CREATORS)
@require_http_methods(["GET", "POST"])
def intake(request):
    policy = sla.default_policy(on=business_date())
    form = IntakeForm(
        request.POST or None, severities=policy.severities.all(), initial={"channel": "phone", "severity": "major"}
    )
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        serial = values.pop("serial").strip()
        try:
            if serial:
                values["unit"] = unit_get(user=request.user, serial=serial)
            values["reported_at"] = values["reported_at"] or None
            values["serving_outlet"] = own_dealer(request.user)
            ticket = ticket_services.ticket_create(actor=request.user, **values)
        except ApplicationError as error:
            field = "serial" if error.code == "unit_not_found" else None
            for name, errors in error.details.items():
                form.add_error(name if name in form.fields else None, errors)
            if not error.details:
                form.add_error(field, str(error.message))
        else:
            messages.success(request, _("Case %s opened.") % ticket.number)
            return redirect("tickets:detail", pk=ticket.pk)
    return render(request, "tickets/intake.html", {"form": form})


def _case(request, pk, action: str | None = None) -> Ticket:
    """The case among those the user may see (404 otherwise); with ``action``, the user's roles must also
    allow it on this case (tickets.permissions; PermissionDenied shows the 403 page)."""
    try:
        ticket = ticket_get(user=request.user, pk=pk)
    except ApplicationError:
        raise Http404 from None
    if action is not None and not may_act(request.user, ticket, action):
        raise PermissionDenied
    return ticket


# Page forms -> the case action they are (tickets.permissions).
WORK_ACTIONS = {
    "quotation": "quotations",
    "decision": "quotation_decision",
    "loaner": "loaners",
    "escalate": "escalate",
    "worklog": "work_log",
    "charge": "charges",
    "attachment": "attachments",
}


@role_required(*CASE_READERS)
def detail(request, pk):
    ticket = _case(request, pk)
    permitted = case_actions(request.user, ticket)
    context = {
        "ticket": ticket,
        "timers": list(ticket.timers.all()),
        "allowed": [action for action in transitions.allowed_actions(ticket.status) if action in permitted],
        "permitted": permitted,
        "assign_form": AssignForm(user=request.user),
        "resolve_form": ResolveForm(initial={"usage": ticket.unit.usage_reading if ticket.unit_id else None}),
        "worklog_form": WorkLogForm(),
        "charge_form": ChargeForm(),
        "attachment_form": AttachmentForm(),
        "work_log": ticket.work_log.select_related("engineer").order_by("-created_at"),
        "charges": ticket.charge_lines.order_by("created_at"),
        "attachments": ticket.attachments.order_by("uploaded_at"),
        "events": ticket.events.select_related("actor").order_by("-at", "-id"),
        "order": RepairOrder.objects.filter(ticket=ticket).first(),
        "quotations": ticket.quotations.order_by("-created_at"),
        "escalations": Escalation.objects.filter(timer__ticket=ticket)
        .select_related("step", "timer__metric", "acknowledged_by")
        .order_by("fired_at", "id"),
        "loaners": ticket.loaners.order_by("lent_at"),
        "quotation_form": QuotationForm(),
        "decision_form": DecisionForm(),
        "loaner_form": LoanerForm(),
        "escalate_form": EscalateForm(),
        "action_labels": ACTION_LABELS,
    }
    return render(request, "tickets/detail.html", context)


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


def _back(ticket: Ticket, anchor: str = ""):
    return redirect(reverse("tickets:detail", args=[ticket.pk]) + anchor)


def _show_error(request, error: ApplicationError) -> None:
    details = "; ".join(
        str(message)
        for name, errors in error.details.items()
        if isinstance(errors, list) and name != "version"  # the current version number means nothing to people
        for message in errors
    )
    messages.error(request, f"{error.message} {details}".strip())


VERSION_REQUIRED = "version_required"


def _posted_version(request) -> int:
    """The version of the case the page showed (a hidden input of every form that changes the case)."""
    raw = request.POST.get("version", "")
    if not raw.isdigit() or not 0 < int(raw) < 2**31:
        raise ApplicationError(VERSION_REQUIRED, _("This page is out of date: reload the case and try again."))
    return int(raw)


@role_required(*CASE_WRITERS)
@require_POST
def act(request, pk, action):
    if action not in transitions.TRANSITIONS:
        raise Http404
    ticket = _case(request, pk, action)
    extra = {}
    if action == "assign":
        form = AssignForm(request.POST, user=request.user)
        if not form.is_valid():
            messages.error(request, _("Choose a service engineer."))
            return _back(ticket)
        extra["engineer"] = form.cleaned_data["engineer"]
    elif action == "resolve":
        form = ResolveForm(request.POST)
        if not form.is_valid():
            messages.error(request, "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()))
            return _back(ticket)
        extra["repair"] = form.facts()
    try:
        ticket_services.ticket_transition(
            ticket=ticket,
            action=action,
            actor=request.user,
            expected_version=_posted_version(request),
            note=request.POST.get("note", ""),
            **extra,
        )
    except ApplicationError as error:
        _show_error(request, error)
    return _back(ticket)


@role_required(*CASE_WRITERS)
@require_POST
def add_work(request, pk, what):
    if what not in WORK_ACTIONS:
        raise Http404
    ticket = _case(request, pk, WORK_ACTIONS[what])
    forms_and_services = {
        "quotation": (QuotationForm, _quote, "#billing"),
        "decision": (DecisionForm, billing.quotation_decide, "#billing"),
        "loaner": (LoanerForm, billing.loaner_issue, "#billing"),
        "escalate": (EscalateForm, billing.ticket_escalate, "#billing"),
        "worklog": (WorkLogForm, work_services.worklog_add, "#work-log"),
        "charge": (ChargeForm, work_services.charge_line_add, "#charges"),
        "attachment": (AttachmentForm, work_services.attachment_add, "#attachments"),
    }
    if what not in forms_and_services:
        raise Http404
    form_class, service, anchor = forms_and_services[what]
    form = form_class(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()))
        return _back(ticket, anchor)
    values = dict(form.cleaned_data)
    if what == "charge":
        values["description"] = values["description"] or ""
    try:
        if what in CASE_CHANGES:
            values["expected_version"] = _posted_version(request)
        service(ticket=ticket, actor=request.user, **values)
    except ApplicationError as error:
        _show_error(request, error)
    return _back(ticket, anchor)


# Page forms that change the case itself (the others add notes, lines and files to it).
CASE_CHANGES = ("quotation", "decision", "loaner", "escalate")


def _quote(*, ticket, actor, expected_version, **fields):
    form = QuotationForm(fields)
    form.is_valid()
    lines = form.lines()
    if not lines:
        raise ApplicationError("quotation_empty", _("Add at least one line."))
    return billing.quotation_create(ticket=ticket, actor=actor, lines=lines, expected_version=expected_version)


@role_required(*CASE_WRITERS)
@require_POST
def loaner_return(request, pk, loaner_pk):
    ticket = _case(request, pk, "loaner_return")
    try:
        billing.loaner_return(
            ticket=ticket, loaner=loaner_pk, actor=request.user, expected_version=_posted_version(request)
        )
    except ApplicationError as error:
        _show_error(request, error)
    return _back(ticket, "#billing")


@role_required(*CASE_WRITERS)
@require_http_methods(["GET", "POST"])
def sign(request, pk):
    ticket = _case(request, pk, "repair_order")
    form = SignForm(request.POST or None, initial={"signer_name": ticket.reporter_name})
    if request.method == "POST" and form.is_valid():
        try:
            work_services.repair_order_sign(
                ticket=ticket, actor=request.user, expected_version=_posted_version(request), **form.cleaned_data
            )
        except ApplicationError as error:
            form.add_error(None, f"{error.message}")
        else:
            return redirect("tickets:order", pk=ticket.pk)
    return render(request, "tickets/sign.html", {"ticket": ticket, "form": form})


@role_required(*CASE_READERS)
def order(request, pk):
    ticket = _case(request, pk)
    repair_order = RepairOrder.objects.filter(ticket=ticket).first()
    if repair_order is None:
        raise Http404
    return render(
        request,
        "tickets/order.html",
        {
            "ticket": ticket,
            "order": repair_order,
            "charges": ticket.charge_lines.order_by("created_at"),
            "visits": ticket.work_log.filter(kind="visit").order_by("started_at"),
        },
    )


@role_required(*CASE_READERS)
def signature(request, pk):
    ticket = _case(request, pk)
    repair_order = RepairOrder.objects.filter(ticket=ticket).first()
    if repair_order is None:
        raise Http404
    return FileResponse(repair_order.signature.open("rb"), content_type="image/png")


@login_required
def inbox(request):
    notifications = (
        Notification.objects.filter(recipient=request.user)
        .select_related("ticket", "escalation")
        .order_by("-created_at", "-id")
    )
    page = Paginator(notifications, 50).get_page(request.GET.get("page"))
    return render(request, "tickets/inbox.html", {"page": page})


@login_required
@require_POST
def inbox_read(request, pk):
    notification = Notification.objects.filter(recipient=request.user, pk=pk).select_related("escalation").first()
    if notification is None:
        raise Http404
    if request.POST.get("acknowledge") and notification.escalation_id:
        try:
            escalation_acknowledge(escalation=notification.escalation, actor=request.user)
        except ApplicationError as error:
            _show_error(request, error)
    notification_mark_read(notification=notification)
    return redirect("tickets:inbox")


@role_required(Role.ADMIN, Role.SERVICE_DESK, Role.SERVICE_MANAGER)
def followups(request):
    """The desk's follow-up calls: due today, this week, or all that are still to do."""
    now = timezone.localtime()  # the viewer's today: a page of one person's work, not a business date
    span = request.GET.get("when", "week")
    limits = {
        "today": now.replace(hour=23, minute=59, second=59),
        "week": (now + timezone.timedelta(days=6 - now.weekday())).replace(hour=23, minute=59, second=59),
    }
    pending = FollowUp.objects.filter(status=FollowUp.Status.PENDING, ticket__in=ticket_scope(user=request.user))
    if span in limits:
        pending = pending.filter(due_at__lte=limits[span])
    pending = pending.select_related("ticket__customer", "ticket__unit").order_by("due_at")
    return render(
        request,
        "tickets/followups.html",
        {"followups": pending, "when": span, "form": FollowUpForm(), "now": timezone.now()},
    )


@role_required(Role.ADMIN, Role.SERVICE_DESK, Role.SERVICE_MANAGER)
@require_POST
def followup_done(request, pk):
    followup = FollowUp.objects.filter(pk=pk, ticket__in=ticket_scope(user=request.user)).first()
    if followup is None:
        raise Http404
    if not may_act(request.user, followup.ticket, "followup"):
        raise PermissionDenied
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Fill in every score."))
        return redirect("tickets:followups")
    try:
        done = followup_services.followup_complete(
            followup=followup, actor=request.user, expected_version=_posted_version(request), **form.cleaned_data
        )
    except ApplicationError as error:
        _show_error(request, error)
    else:
        if done.complaint:
            messages.warning(request, _("The case was reopened as a complaint; the service managers are told."))
        else:
            messages.success(request, _("Follow-up recorded; the case can be closed."))
    return redirect("tickets:followups")


@role_required(*CASE_READERS)
def visits(request):
    """Scheduled visits by day — the outlet's visit calendar (``?outlet=CODE``), today, this week or all."""
    today = timezone.localdate()  # the viewer's today: a page of one person's work, not a business date
    span = request.GET.get("when", "week")
    planned = visit_scope(user=request.user).filter(status=Visit.Status.PLANNED)
    if span == "today":
        planned = planned.filter(due_on__lte=today)
    elif span == "week":
        planned = planned.filter(due_on__lte=today + timezone.timedelta(days=6 - today.weekday()))
    outlet = request.GET.get("outlet", "").strip()
    if outlet:
        planned = planned.filter(outlet__code__iexact=outlet)
    planned = planned.select_related("contract__customer", "unit__customer", "outlet", "assigned_to").order_by(
        "due_on", "id"
    )[:500]
    days: dict = {}
    for visit in planned:
        days.setdefault(visit.due_on, []).append(visit)
    return render(request, "tickets/visits.html", {"days": days, "when": span, "outlet": outlet, "today": today})


@role_required(*CASE_READERS)
@require_http_methods(["GET", "POST"])
def visit_detail(request, pk):
    visit = (
        visit_scope(user=request.user)
        .select_related("contract__customer", "unit__customer", "outlet", "ticket")
        .filter(pk=pk)
        .first()
    )
    if visit is None:
        raise Http404
    form = VisitForm(request.POST or None)
    if request.method == "POST" and request.user.has_role(*CASE_WRITERS):
        if request.POST.get("open_case"):
            try:
                ticket = visit_services.visit_open_case(visit=visit, actor=request.user)
            except ApplicationError as error:
                _show_error(request, error)
            else:
                return redirect("tickets:detail", pk=ticket.pk)
        elif form.is_valid():
            try:
                visit_services.visit_complete(
                    visit=visit,
                    actor=request.user,
                    checklist=form.checklist_items(),
                    findings=form.cleaned_data["findings"],
                    confirmed_by=form.cleaned_data["confirmed_by"],
                )
            except ApplicationError as error:
                _show_error(request, error)
            return redirect("tickets:visit", pk=visit.pk)
    return render(request, "tickets/visit.html", {"visit": visit, "form": form})


@role_required(*CASE_READERS)
def today(request):
    """My follow-ups and visits today or this week, with my open cases: the day's work on one page."""
    now = timezone.localtime()  # the viewer's today: a page of one person's work, not a business date
    span = request.GET.get("when", "today")
    last_day = now.date() if span == "today" else now.date() + timezone.timedelta(days=6 - now.weekday())
    end = timezone.make_aware(timezone.datetime.combine(last_day, timezone.datetime.max.time()))
    user = request.user
    followup_list = []
    if user.has_role(Role.ADMIN, Role.SERVICE_DESK, Role.SERVICE_MANAGER):
        followup_list = (
            FollowUp.objects.filter(status=FollowUp.Status.PENDING, due_at__lte=end, ticket__in=ticket_scope(user=user))
            .select_related("ticket__customer")
            .order_by("due_at")
        )
    visit_list = visit_scope(user=user).filter(status=Visit.Status.PLANNED, due_on__lte=last_day)
    if user.has_role(Role.ENGINEER) and not user.has_role(Role.ADMIN, Role.SERVICE_MANAGER):
        visit_list = visit_list.filter(Q(assigned_to=user) | Q(assigned_to__isnull=True))
    visit_list = visit_list.select_related("contract__customer", "unit__customer", "outlet").order_by("due_on")[:200]
    cases = with_related(ticket_scope(user=user).filter(assigned_engineer=user, status__in=transitions.OPEN_STATUSES))
    return render(
        request,
        "tickets/today.html",
        {
            "when": span,
            "followups": followup_list,
            "visits": visit_list,
            "entries": rows(by_next_deadline(cases)),
            "now": now,
        },
    )
