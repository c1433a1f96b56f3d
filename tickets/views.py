"""Service-desk pages: the queue, intake, the case page, signing and printing the repair order, my cases."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import orjson
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from aftersales.api.validation import whole_number
from aftersales.dates import business_date
from aftersales.decorators import role_required
from aftersales.errors import ApplicationError
from aftersales.labels import shown_name
from aftersales.models import full_name
from aftersales.roles import Role
from dealers.selectors import own_dealer
from tickets import sla, transitions
from tickets.casepage import apply_error, bound_form, case_context, error_text
from tickets.filters import QueueFilter, queue_choices
from tickets.forms import (
    FollowUpForm,
    IntakeForm,
    SignForm,
    VisitForm,
)
from tickets.labels import ACTION_LABELS
from tickets.models import (
    FollowUp,
    Notification,
    RepairOrder,
    RepairReport,
    SavedQueueView,
    Ticket,
    Timer,
    Visit,
)
from tickets.permissions import CREATORS, may_act
from tickets.roles import CASE_READERS, CASE_WRITERS
from tickets.rowsql import as_text, column, named
from tickets.selectors import (
    by_next_deadline,
    ticket_get,
    ticket_scope,
    visit_scope,
    with_list_related,
)
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


# What a queue row reads of the case table: plain columns, no model.
QUEUE_COLUMNS = (
    "id",
    "number",
    "status",
    "reporter_name",
    "complaint_due_at",
    "complaint_answered_at",
    "reported_at",
)


def queue_relations() -> dict:
    """What a queue row shows of its relations, as subqueries of the page's own statement (worked out by the
    database for the page's rows only, as the case list API does): the customer's name, the unit's serial,
    the severity (code, name, rank) and the engineer's names as JSON arrays, and the next deadline — the
    earliest running, breached or paused timer with a due time, as ``next_timer`` picks it (ties by id)."""
    from aftersales.models import User
    from tickets.models import Severity, SLAMetric
    from warranty.models import Customer, Unit

    quote = connection.ops.quote_name
    timers, metrics = quote(Timer._meta.db_table), quote(SLAMetric._meta.db_table)
    states = ", ".join(f"'{state}'" for state in ACTIVE_TIMER_STATES)
    next_due = (
        f"SELECT jsonb_build_array({column(Timer, 'due_at')}, {column(Timer, 'state')}, "
        f"{column(SLAMetric, 'code')}, {column(SLAMetric, 'name')}) "
        f"FROM {timers} JOIN {metrics} ON {column(SLAMetric, 'id')} = {column(Timer, 'metric')} "
        f"WHERE {column(Timer, 'ticket')} = {column(Ticket, 'id')} AND {column(Timer, 'state')} IN "
        f"({states}) AND {column(Timer, 'stopped_at')} IS NULL AND {column(Timer, 'due_at')} IS NOT NULL "
        f"ORDER BY {column(Timer, 'due_at')}, {column(Timer, 'id')} LIMIT 1"
    )
    severity = (
        f"SELECT jsonb_build_array({column(Severity, 'code')}, {column(Severity, 'name')}, "
        f"{column(Severity, 'rank')}) FROM {quote(Severity._meta.db_table)} "
        f"WHERE {column(Severity, 'id')} = {column(Ticket, 'severity')}"
    )
    engineer = (
        f"SELECT jsonb_build_array({column(User, 'first_name')}, {column(User, 'last_name')}) "
        f"FROM {quote(User._meta.db_table)} WHERE {column(User, 'id')} = {column(Ticket, 'assigned_engineer')}"
    )
    return {
        "customer_name": named(Customer, "customer", column(Customer, "name")),
        "unit_serial": named(Unit, "unit", column(Unit, "serial")),
        "severity_row": as_text(severity),
        "engineer_row": as_text(engineer),
        "next_row": as_text(next_due),
    }


def queue_rows(page_rows) -> list[dict]:
    """The queue page's rows from one ``.values()`` statement (``QUEUE_COLUMNS``, ``queue_relations()``), each
    value already in the words and formats the page shows (the row's template reads no model, calls no
    method and includes no fragment: per row, those cost more than the rows' statement). The times as the
    template's ``date`` filter writes them ("c" is ISO 8601, "Y-m-d H:i" and "m-d H:i" their strftime twins),
    in the viewer's zone."""
    tz = timezone.get_current_timezone()
    parse = datetime.fromisoformat
    statuses = {code: str(label) for code, label in Ticket.Status.choices}
    detail = reverse("tickets:detail", args=[0])[: -len("0/")]
    out = []
    for row in page_rows:
        severity_code, severity_name, severity_rank = orjson.loads(row["severity_row"])
        engineer = orjson.loads(row["engineer_row"]) if row["engineer_row"] else None
        entry = {
            "url": f"{detail}{row['id']}/",
            "number": row["number"],
            "severity_rank": severity_rank,
            "severity": shown_name(severity_name, "severity", severity_code),
            "status": statuses.get(row["status"], row["status"]),
            "complaint": bool(row["complaint_due_at"] and not row["complaint_answered_at"]),
            "customer": row["customer_name"] or row["reporter_name"],
            "serial": row["unit_serial"],
            "engineer": (full_name(*engineer) if engineer else "") or "—",
            "reported": row["reported_at"].astimezone(tz).strftime("%m-%d %H:%M"),
            "next": None,
        }
        if row["next_row"]:
            due_text, state, metric_code, metric_name = orjson.loads(row["next_row"])
            due = parse(due_text).astimezone(tz)
            entry["next"] = {
                "due": due.isoformat(),
                "state": state,
                "metric": shown_name(metric_name, "metric", metric_code),
                "due_full": due.strftime("%Y-%m-%d %H:%M"),
                "due_short": due.strftime("%m-%d %H:%M"),
            }
        out.append(entry)
    return out


class CappedPaginator(Paginator):
    """Counts at most ``cap`` rows: a COUNT over every open case would read them all on each page view. Past
    the cap the total reads "20+" pages and the queue pages through the first ``cap`` cases of its order (the
    filters narrow it further)."""

    cap = 1_000

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
    filtered = QueueFilter(params, queryset=ticket_scope(user=request.user))
    ordered = (
        by_next_deadline(filtered.qs)
        if request.GET.get("sort", "due") == "due"
        else filtered.qs.order_by("-reported_at", "-id")
    )
    page = CappedPaginator(ordered, 50).get_page(request.GET.get("page"))
    entries = queue_rows(page.object_list.values(*QUEUE_COLUMNS, **queue_relations()))
    return render(request, "tickets/queue.html", queue_context(request, filtered, page, entries))


def queue_context(request, filtered, page, entries) -> dict:
    """What the queue page draws around its rows (the benchmarks' empty-queue floor draws the same)."""
    params = filtered.data
    # The queue's own refresh (htmx polling every HOME_POLL_SECONDS) keeps only the rows: no pickers to fill.
    refresh = bool(getattr(request, "htmx", False))
    return {
        "filter": filtered,
        "page": page,
        "entries": entries,
        "now": timezone.now(),
        "poll_seconds": settings.HOME_POLL_SECONDS,
        "choices": {} if refresh else queue_choices(request.user),
        "saved_views": [] if refresh else SavedQueueView.objects.filter(user=request.user),
        "current_query": request.GET.urlencode(),
        "selected_statuses": params.getlist("status"),
    }


TODAY_CASES = 50


@role_required(*CASE_READERS)
def my_cases(request):
    tickets = with_list_related(
        ticket_scope(user=request.user).filter(
            assigned_engineer=request.user, status__in=transitions.OPEN_STATUSES + (transitions.RESOLVED,)
        )
    ).select_related("site")  # each row shows the site's address: joined, not one query per case
    # A page at a time (an engineer's phone; the index on engineer and next deadline serves each page).
    page = CappedPaginator(by_next_deadline(tickets), 50).get_page(request.GET.get("page"))
    return render(request, "tickets/my_cases.html", {"entries": rows(page.object_list), "page": page})


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
                values["unit"] = unit_get(user=request.user, serial=serial, coverage_reads=True)
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
    from warranty.engine.explain import FAILURE_LABELS
    from warranty.engine.types import REMEDY_LABELS
    from warranty.models import WarrantyPolicy

    return render(
        request,
        "tickets/intake.html",
        {
            "form": form,
            "failure_types": [(code, label) for code, label in FAILURE_LABELS.items()],
            # The entitlement's codes as the caller hears them (the page's script shows these).
            "intake_labels": {
                "remedies": {code: str(label) for code, label in REMEDY_LABELS.items()},
                "regimes": {code: str(label) for code, label in WarrantyPolicy.Regime.choices},
            },
        },
    )


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
    "complaint": "complaint_answer",
}


@role_required(*CASE_READERS)
def detail(request, pk):
    ticket = _case(request, pk)
    return render(request, "tickets/detail.html", {**case_context(request, ticket), "action_labels": ACTION_LABELS})


def _back(ticket: Ticket, anchor: str = ""):
    return redirect(reverse("tickets:detail", args=[ticket.pk]) + anchor)


def _show_error(request, error: ApplicationError) -> None:
    messages.error(request, error_text(error))


def _answer(request, ticket: Ticket, *, anchor: str, bound: dict | None = None, action_error: str = ""):
    """After a case form: htmx gets the case's part of the page (the posted form with its errors in place, or
    everything fresh after a change); without JavaScript a refused form is the whole page with the form as
    posted (400), and a change goes back to the case (a redirect, so a reload does not post again)."""
    failed = bool(action_error) or any(form.errors for form in (bound or {}).values())
    if request.htmx or failed:
        ticket = _case(request, ticket.pk)  # as it is now, after the change or someone else's
        context = {**case_context(request, ticket, bound=bound, action_error=action_error)}
        context["action_labels"] = ACTION_LABELS
        template = "tickets/_case.html" if request.htmx else "tickets/detail.html"
        return render(request, template, context, status=200 if request.htmx or not failed else 400)
    return _back(ticket, anchor)


VERSION_REQUIRED = "version_required"


def _posted_version(request) -> int:
    """The version of the case the page showed (a hidden input of every form that changes the case)."""
    version = whole_number(request.POST.get("version"), maximum=2**31 - 1)
    if not version:
        raise ApplicationError(VERSION_REQUIRED, _("This page is out of date: reload the case and try again."))
    return version


# Transitions whose form has fields of its own (the others are a button).
ACTION_FORMS = {"assign": "assign", "resolve": "resolve"}


@role_required(*CASE_WRITERS)
@require_POST
def act(request, pk, action):
    if action not in transitions.TRANSITIONS:
        raise Http404
    ticket = _case(request, pk, action)
    extra = {}
    form = None
    if action in ACTION_FORMS:
        form = bound_form(ACTION_FORMS[action], request)
        if not form.is_valid():
            return _answer(request, ticket, anchor=f"#{action}-form", bound={action: form})
        extra = {"engineer": form.cleaned_data["engineer"]} if action == "assign" else {"repair": form.facts()}
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
        if form is not None and (request.htmx or action == "resolve"):
            apply_error(form, error)
            return _answer(request, ticket, anchor=f"#{action}-form", bound={action: form})
        if request.htmx:
            return _answer(request, ticket, anchor="", action_error=error_text(error))
        # Without JavaScript the refusal of a button is the message above the case's header and actions.
        _show_error(request, error)
    return _answer(request, ticket, anchor="")


@role_required(*CASE_WRITERS)
@require_POST
def add_work(request, pk, what):
    if what not in WORK_ACTIONS:
        raise Http404
    ticket = _case(request, pk, WORK_ACTIONS[what])
    services = {
        "quotation": (_quote, "#billing"),
        "decision": (billing.quotation_decide, "#billing"),
        "loaner": (billing.loaner_issue, "#billing"),
        "escalate": (billing.ticket_escalate, "#billing"),
        "worklog": (work_services.worklog_add, "#work-log"),
        "charge": (work_services.charge_line_add, "#charges"),
        "attachment": (work_services.attachment_add, "#attachments"),
        "complaint": (followup_services.complaint_answer, "#complaint"),
    }
    service, anchor = services[what]
    form = bound_form(what, request)
    if not form.is_valid():
        return _answer(request, ticket, anchor=anchor, bound={what: form})
    values = dict(form.cleaned_data)
    if what == "charge":
        values["description"] = values["description"] or ""
    if what == "quotation":
        values = {"lines": form.lines()}
    try:
        if what in CASE_CHANGES:
            values["expected_version"] = _posted_version(request)
        service(ticket=ticket, actor=request.user, **values)
    except ApplicationError as error:
        if not (what == "quotation" and form.add_line_error(error)):
            apply_error(form, error)
        return _answer(request, ticket, anchor=anchor, bound={what: form})
    return _answer(request, ticket, anchor=anchor)


# Page forms that change the case itself (the others add notes, lines and files to it).
CASE_CHANGES = ("quotation", "decision", "loaner", "escalate", "complaint")


def _quote(*, ticket, actor, expected_version, lines):
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
        if request.htmx:
            return _answer(request, ticket, anchor="#billing", action_error=error_text(error))
        _show_error(request, error)
    return _answer(request, ticket, anchor="#billing")


@role_required(*CASE_WRITERS)
@require_http_methods(["GET", "POST"])
def sign(request, pk):
    """The customer's kiosk: what was found and done, parts, labour and charges, the signature pad; nothing
    of the staff's pages (no menu, messages or logout) while the customer holds the screen."""
    ticket = _case(request, pk, "repair_order")
    report = RepairReport.objects.filter(ticket=ticket).first()
    form = SignForm(
        request.POST or None,
        initial={
            "signer_name": ticket.reporter_name,
            "findings": report.findings if report else "",
            "work_done": report.work_done if report else "",
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            work_services.repair_order_sign(
                ticket=ticket, actor=request.user, expected_version=_posted_version(request), **form.cleaned_data
            )
        except ApplicationError as error:
            form.add_error(None, f"{error.message}")
        else:
            return redirect("tickets:order", pk=ticket.pk)
    charges = list(ticket.charge_lines.order_by("created_at"))
    context = {
        "ticket": ticket,
        "form": form,
        "parts": [line for line in charges if line.kind == "part"],
        "labour": [line for line in charges if line.kind == "labour"],
        "total": sum((line.amount for line in charges if line.charged), Decimal(0)),
        "has_order": RepairOrder.objects.filter(ticket=ticket).exists(),
    }
    return render(request, "tickets/sign.html", context)


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
    month = _month(request.GET.get("month", ""), today) if span == "month" else None
    if month is not None:
        first, last = month
        planned = visit_scope(user=request.user).filter(due_on__gte=first, due_on__lte=last)
    elif span == "today":
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
    context = {"days": days, "when": span, "outlet": outlet, "today": today}
    if month is not None:
        context |= _month_grid(month, days, today)
    return render(request, "tickets/visits.html", context)


def _month(value: str, today):
    """The first and last day of ``YYYY-MM`` (this month when missing or not a month)."""
    import calendar
    from datetime import date

    from aftersales.api.validation import MAX_DATE, MIN_DATE

    try:
        year, number = (int(part) for part in value.split("-"))
        first = date(year, number, 1)
        if not MIN_DATE.year < year < MAX_DATE.year:  # a grid needs the days around the month too
            raise ValueError(value)
    except (ValueError, OverflowError):
        first = today.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _month_grid(month, days, today) -> dict:
    """Weeks (Monday first) of the month, each day with its visits, and the months before and after."""
    from datetime import timedelta

    first, last = month
    start = first - timedelta(days=first.weekday())
    weeks, day = [], start
    while day <= last or day.weekday() != 0:
        if day.weekday() == 0:
            weeks.append([])
        weeks[-1].append({"date": day, "in_month": day.month == first.month, "visits": days.get(day, [])})
        day += timedelta(days=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = last + timedelta(days=1)
    return {"weeks": weeks, "month_first": first, "previous": f"{previous:%Y-%m}", "next": f"{following:%Y-%m}"}


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
    cases = with_list_related(
        ticket_scope(user=user).filter(assigned_engineer=user, status__in=transitions.OPEN_STATUSES)
    )
    # The first cases by deadline (a range of the index on engineer and next deadline); all on "my cases".
    entries = rows(by_next_deadline(cases)[: TODAY_CASES + 1])
    return render(
        request,
        "tickets/today.html",
        {
            "when": span,
            "followups": followup_list,
            "visits": visit_list,
            "entries": entries[:TODAY_CASES],
            "more_cases": len(entries) > TODAY_CASES,
            "now": now,
        },
    )
