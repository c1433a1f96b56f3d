"""Pages: the dealer portal (my claims, new claim with unit lookup and live entitlement, returns, statements),
the reviewer's queue and claim page, finance's settlement pages. Each parses input, calls one service or
selector, and renders; who may do what is ``claims.permissions``."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import wraps
from pathlib import PurePath
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from aftersales.api.validation import whole_number
from aftersales.db_router import use_replica
from aftersales.errors import ApplicationError
from aftersales.scoping import dealer_id_of
from claims import exports, forms, selectors, transitions
from claims import permissions as claim_permissions
from claims.filters import CHECK_CHOICES, ClaimFilter
from claims.models import AccountEntry, Claim, ClaimLine, SettlementStatement
from claims.services import claims as claim_services
from claims.services import returns as return_services
from claims.services import review as review_services
from claims.services import settlement as settlement_services
from claims.services.checks import CHECK_CODES, check_label
from tickets.selectors import ticket_get

PAGE_SIZE = 50
# Claims-list parameters only the dashboards' drill-down links set (the form shows them as kept filters).
DRILL_PARAMS = ("submitted_from", "submitted_to", "model", "product_line", "province", "reason", "parts_not_returned")


def allowed(check):
    """A page for who passes ``check`` (claims.permissions); others signed in get the 403 page."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not check(request.user):
                return render(request, "403.html", status=403)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _claim(request, pk) -> Claim:
    try:
        return selectors.claim_get(user=request.user, pk=pk)
    except ApplicationError:
        raise Http404 from None


def _show_error(request, error: ApplicationError) -> None:
    def flatten(value):
        if isinstance(value, dict):
            return [item for inner in value.values() for item in flatten(inner)]
        if isinstance(value, list):
            return [item for inner in value for item in flatten(inner)]
        return [str(value)]

    details = "; ".join(dict.fromkeys(flatten(_for_people(error.details))))
    messages.error(request, f"{error.message} {details}".strip())


def _for_people(details: dict) -> dict:
    """A refusal's details without those meant for programs: the current version a stale page is told (the
    number means nothing to people) and the codes of the actions possible (the message names them)."""
    return {key: value for key, value in details.items() if key not in ("version", "allowed")}


def _back(claim: Claim, anchor: str = ""):
    return redirect(reverse("claims:detail", args=[claim.pk]) + anchor)


# --- lists ------------------------------------------------------------------------------------------------


@allowed(claim_permissions.can_read)
def claim_list(request):
    """My claims (a dealer) or every claim (the maker's staff), by status."""
    filtered = ClaimFilter(request.GET, queryset=selectors.claim_list(user=request.user))
    claims = filtered.qs if filtered.is_valid() else selectors.claim_list(user=request.user).none()
    page = Paginator(claims, PAGE_SIZE).get_page(request.GET.get("page"))
    # The filters a dashboard's drill-down set travel with the form and the page links.
    drill = [(key, value) for key in DRILL_PARAMS for value in request.GET.getlist(key) if value]
    keep = urlencode([(key, v) for key, values in request.GET.lists() if key != "page" for v in values])
    return render(
        request,
        "claims/list.html",
        {
            "filter": filtered,
            "page": page,
            "drill": drill,
            "keep": keep,
            "statuses": Claim.Status.choices,
            "chosen": request.GET.getlist("status"),
            "may_create": claim_permissions.can_submit(request.user),
        },
    )


def _after(value: str):
    """The queue's keyset position ``<review due ISO>,<id>`` (anything else: the start)."""
    stamp, _sep, pk = (value or "").rpartition(",")
    moment = parse_datetime(stamp) if stamp else None
    number = whole_number(pk)
    return (moment, number) if moment and number is not None else None


@allowed(claim_permissions.can_review)
def queue(request):
    """The reviewers' queue: oldest review deadline first, from the partial index, paged by keyset."""
    form = forms.QueueFilterForm(request.GET or None)
    form.fields["check"].choices = [("", "—")] + [
        (code, check_label(code) if code in CHECK_CODES else label) for code, label in CHECK_CHOICES
    ]
    claims = selectors.review_queue(user=request.user)
    params = {key: value for key, value in request.GET.items() if key in ("dealer", "type", "check") and value}
    filtered = ClaimFilter(params, queryset=claims)
    claims = filtered.qs if filtered.is_valid() else claims.none()
    position = _after(request.GET.get("after", ""))
    if position:
        claims = claims.filter(Q(review_due_at__gt=position[0]) | Q(review_due_at=position[0], id__gt=position[1]))
    rows = list(claims[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    next_after = f"{rows[-1].review_due_at.isoformat()},{rows[-1].pk}" if more else ""
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return render(
        request,
        "claims/queue.html",
        {"form": form, "claims": rows, "next_after": next_after, "query": query, "now": timezone.now()},
    )


# --- a claim ----------------------------------------------------------------------------------------------


def _line_forms(data=None, initial_lines=()):
    by_kind = {"labour": [], "part": [], "other": []}
    for line in initial_lines:
        by_kind[line["kind"]].append({key: value for key, value in line.items() if key != "kind"})
    return (
        forms.LabourFormSet(data, prefix="labour", initial=by_kind["labour"]),
        forms.PartFormSet(data, prefix="part", initial=by_kind["part"]),
        forms.OtherFormSet(data, prefix="other", initial=by_kind["other"]),
    )


def _lines_from(formsets) -> tuple[list[dict], list]:
    """The filled rows of the three line formsets, in order, with the form each came from."""
    lines, sources = [], []
    for formset in formsets:
        for form in formset.forms:
            data = {key: value for key, value in form.cleaned_data.items() if key != "id"}
            if not any(value not in (None, "") for value in data.values()):
                continue
            line = form.line()
            if not line.get("id"):
                line.pop("id", None)
            lines.append(line)
            sources.append(form)
    return lines, sources


def _apply_errors(error: ApplicationError, form, sources) -> None:
    details = _for_people(error.details)
    lines = details.pop("lines", None)
    if isinstance(lines, dict):
        for index, problems in lines.items():
            position = whole_number(index)
            target = sources[position] if position is not None and position < len(sources) else None
            for field, messages_ in problems.items():
                if target is not None and field in target.fields:
                    target.add_error(field, messages_)
                else:
                    form.add_error(None, messages_)
    elif lines:
        form.add_error(None, lines)
    for field, problems in details.items():
        form.add_error(field if field in form.fields else None, problems)
    if not details and lines is None:
        form.add_error(None, str(error.message))


def _line_rows(claim: Claim) -> list[dict]:
    return [
        {
            "kind": line.kind,
            "id": line.pk,
            "operation": line.operation.code if line.operation_id else None,
            "hours": line.hours,
            "description": line.description,
            "part_number": line.part_number,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "old_part_serial": line.old_part_serial,
            "cost_kind": line.cost_kind,
            "amount": line.claimed_amount,
        }
        for line in claim.lines.all()
    ]


@allowed(claim_permissions.can_submit)
@require_http_methods(["GET", "POST"])
def claim_new(request):
    """A new claim: unit lookup with live coverage and entitlement, lines, documents; save as a draft or
    submit. ``?ticket=`` starts it from a resolved case, pre-filled."""
    initial, initial_lines, order = {}, [], None
    ticket_id = request.GET.get("ticket", "")
    if request.method == "GET" and (ticket_pk := whole_number(ticket_id)):
        try:
            ticket = ticket_get(user=request.user, pk=ticket_pk)
        except ApplicationError:
            raise Http404 from None
        prefill = claim_services.case_prefill(ticket)
        order = prefill["signed_order"]
        initial = {
            "ticket": ticket.pk,
            "unit": prefill["unit"].serial if prefill["unit"] else "",
            "fault_description": prefill["fault_description"],
            "fault_date": prefill["fault_date"],
            "repair_agreed_at": timezone.localtime(prefill["repair_agreed_at"]),
            "repair_completed_at": timezone.localtime(prefill["repair_completed_at"])
            if prefill["repair_completed_at"]
            else None,
            "usage": prefill["usage"],
        }
        initial_lines = prefill["lines"]
    elif request.GET.get("unit"):
        initial = {"unit": request.GET["unit"]}
    form = forms.ClaimForm(request.POST or None, user=request.user, initial=initial)
    documents = forms.DocumentsForm(request.POST or None, request.FILES or None)
    formsets = _line_forms(request.POST or None, initial_lines)
    if request.method == "POST" and form.is_valid() and documents.is_valid() and all(f.is_valid() for f in formsets):
        lines, sources = _lines_from(formsets)
        files = [(kind, documents.cleaned_data[kind]) for kind in ("photo", "repair_record", "invoice")]
        try:
            claim, _created = claim_services.claim_create(
                actor=request.user,
                lines=lines,
                documents=[(kind, file) for kind, file in files if file],
                submit="submit" in request.POST,
                **form.cleaned_data,
            )
        except ApplicationError as error:
            _apply_errors(error, form, sources)
        else:
            messages.success(request, _("Claim %s saved.") % claim.number)
            return redirect("claims:detail", pk=claim.pk)
    return render(
        request,
        "claims/form.html",
        {"form": form, "documents": documents, "formsets": formsets, "order": order, "claim": None},
    )


@allowed(claim_permissions.can_submit)
@require_http_methods(["GET", "POST"])
def claim_edit(request, pk):
    """Correct a draft or a claim returned for information."""
    claim = _claim(request, pk)
    if claim.status not in transitions.EDITABLE:
        messages.error(request, _("Only a draft or a claim returned for information can be corrected."))
        return _back(claim)
    initial = {name: getattr(claim, name) for name in claim_services.HEADER_FIELDS}
    initial["unit"] = claim.unit.serial
    initial["repair_agreed_at"] = timezone.localtime(claim.repair_agreed_at)
    initial["repair_completed_at"] = timezone.localtime(claim.repair_completed_at)
    form = forms.ClaimForm(request.POST or None, user=request.user, initial=initial)
    form.fields["unit"].disabled = True
    form.fields["ticket"].disabled = True
    version = forms.VersionForm(request.POST or None, initial={"version": claim.version})
    formsets = _line_forms(request.POST or None, _line_rows(claim))
    valid = request.method == "POST" and form.is_valid() and version.is_valid()
    if valid and all(f.is_valid() for f in formsets):
        lines, sources = _lines_from(formsets)
        changes = {name: form.cleaned_data[name] for name in claim_services.HEADER_FIELDS}
        try:
            claim_services.claim_update(
                claim=claim,
                actor=request.user,
                expected_version=version.cleaned_data["version"],
                lines=lines,
                **changes,
            )
        except ApplicationError as error:
            _apply_errors(error, form, sources)
        else:
            messages.success(request, _("Claim %s corrected.") % claim.number)
            return _back(claim)
    return render(
        request,
        "claims/form.html",
        {"form": form, "documents": None, "formsets": formsets, "version": version, "claim": claim},
    )


def _decision_rows(claim: Claim, checks) -> list[dict]:
    """Each line with its automatic checks and the reason they propose."""
    by_line: dict[int | None, list] = {}
    for check in checks:
        by_line.setdefault(check.line_id, []).append(check)
    claim_level = by_line.get(None, [])
    proposal = next((c.proposed_reason.code for c in claim_level if not c.passed and c.proposed_reason), "")
    rows = []
    for line in claim.lines.all():
        line_checks = by_line.get(line.pk, [])
        proposed = next((c.proposed_reason.code for c in line_checks if not c.passed and c.proposed_reason), proposal)
        under_review = (claim.status == transitions.SUBMITTED and line.decision == ClaimLine.Decision.PENDING) or (
            claim.status == transitions.APPEALED and line.appealed
        )
        rows.append({"line": line, "checks": line_checks, "proposed": proposed, "under_review": under_review})
    return rows


def _labelled(events) -> list:
    events = list(events)
    for event in events:
        event.label = transitions.EVENT_LABELS.get(event.kind, event.kind)
        event.to_label = transitions.STATUS_LABELS.get(event.to_state, event.to_state)
    return events


@allowed(claim_permissions.can_read)
def claim_detail(request, pk):
    claim = _claim(request, pk)
    checks = selectors.latest_checks(claim)
    for check in checks:
        check.label = check_label(check.code)
    user = request.user
    own = claim_permissions.can_submit(user) and claim.dealer_id == dealer_id_of(user)
    reviewer = claim_permissions.can_review(user)
    contested = [
        line
        for line in claim.lines.all()
        if line.decision in (ClaimLine.Decision.REJECTED, ClaimLine.Decision.REDUCED)
        and not hasattr(line, "settlement")
    ]
    context = {
        "claim": claim,
        "rows": _decision_rows(claim, checks),
        "claim_checks": [check for check in checks if check.line_id is None],
        "submissions": claim.submissions.select_related("submitted_by").order_by("-number"),
        "events": _labelled(claim.events.select_related("actor").order_by("-at", "-id")),
        "own": own,
        "reviewer": reviewer,
        "allowed": transitions.allowed_actions(claim.status),
        "reasons": forms.reason_choices(),
        "version": claim.version,
        "appeal_form": forms.AppealForm(initial={"version": claim.version}, contested=contested),
        "return_form": forms.ReturnForInformationForm(initial={"version": claim.version}),
        "attachment_form": forms.AttachmentForm(),
        "may_appeal": own and claim.status in transitions.TRANSITIONS["appeal"][0] and not claim.appeal_count,
        "appeal_needs_other": claim.status == transitions.APPEALED and claim.reviewer_id == user.pk,
    }
    return render(request, "claims/detail.html", context)


@allowed(claim_permissions.can_submit)
@require_POST
def claim_submit(request, pk):
    """Submit a draft, or resubmit a corrected claim."""
    claim = _claim(request, pk)
    form = forms.VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Reload the claim and try again."))
        return _back(claim)
    service = claim_services.claim_resubmit if claim.status == transitions.RETURNED else claim_services.claim_submit
    try:
        service(claim=claim, actor=request.user, expected_version=form.cleaned_data["version"])
    except ApplicationError as error:
        _show_error(request, error)
    else:
        messages.success(request, _("Claim %s submitted.") % claim.number)
    return _back(claim)


@allowed(claim_permissions.can_submit)
@require_POST
def claim_withdraw(request, pk):
    claim = _claim(request, pk)
    form = forms.VersionForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError("claim_invalid", _("Reload the claim and try again."))
        claim_services.claim_withdraw(claim=claim, actor=request.user, expected_version=form.cleaned_data["version"])
    except ApplicationError as error:
        _show_error(request, error)
    return _back(claim)


@allowed(claim_permissions.can_review)
@require_POST
def claim_decide(request, pk):
    """The reviewer's line decisions from the claim page."""
    claim = _claim(request, pk)
    decisions = []
    for line in claim.lines.all():
        decision = request.POST.get(f"decision_{line.pk}")
        if not decision:
            continue
        amount = request.POST.get(f"amount_{line.pk}", "").strip()
        decisions.append(
            {
                "line": line.pk,
                "decision": decision,
                "amount": _decimal(amount),
                "reason": request.POST.get(f"reason_{line.pk}", ""),
                "note": request.POST.get(f"note_{line.pk}", ""),
            }
        )
    version = request.POST.get("version", "")
    try:
        if not whole_number(version, maximum=2**31 - 1):
            raise ApplicationError("claim_invalid", _("Reload the claim and try again."))
        if any(item["amount"] is False for item in decisions):
            raise ApplicationError("claim_invalid", _("An amount is not a number."))
        review_services.claim_decide(
            claim=claim,
            actor=request.user,
            expected_version=whole_number(version),
            decisions=decisions,
            note=request.POST.get("note", ""),
        )
    except ApplicationError as error:
        _show_error(request, error)
    else:
        messages.success(request, _("Claim %s decided.") % claim.number)
    return _back(claim)


def _decimal(value: str):
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return False


@allowed(claim_permissions.can_review)
@require_POST
def claim_return(request, pk):
    claim = _claim(request, pk)
    form = forms.ReturnForInformationForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError("claim_invalid", _("Say what information is needed."))
        review_services.claim_return(
            claim=claim,
            actor=request.user,
            expected_version=form.cleaned_data["version"],
            note=form.cleaned_data["note"],
        )
    except ApplicationError as error:
        _show_error(request, error)
    return _back(claim)


@allowed(claim_permissions.can_submit)
@require_POST
def claim_appeal(request, pk):
    claim = _claim(request, pk)
    form = forms.AppealForm(request.POST, contested=list(claim.lines.all()))
    try:
        if not form.is_valid():
            raise ApplicationError("claim_invalid", _("Say why the decision should change."))
        review_services.claim_appeal(
            claim=claim,
            actor=request.user,
            expected_version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
            lines=form.cleaned_data["lines"] or None,
        )
    except ApplicationError as error:
        _show_error(request, error)
    else:
        messages.success(request, _("Claim %s appealed.") % claim.number)
    return _back(claim)


@allowed(claim_permissions.can_submit)
@require_POST
def claim_attach(request, pk):
    claim = _claim(request, pk)
    form = forms.AttachmentForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise ApplicationError("claim_invalid", _("Choose the document and its file."))
        claim_services.claim_attachment_add(claim=claim, actor=request.user, **form.cleaned_data)
    except ApplicationError as error:
        _show_error(request, error)
    return _back(claim, "#documents")


@allowed(claim_permissions.can_read)
def claim_attachment(request, pk, attachment_pk):
    claim = _claim(request, pk)
    attachment = next((a for a in claim.attachments.all() if a.pk == attachment_pk), None)
    if attachment is None:
        raise Http404
    with attachment.file.open("rb") as handle:  # at most 10 MB (services refuse larger files)
        response = HttpResponse(handle.read(), content_type=attachment.content_type)
    response["Content-Disposition"] = f'inline; filename="{attachment.pk}{PurePath(attachment.original_name).suffix}"'
    return response


# --- old-part returns -------------------------------------------------------------------------------------


@allowed(claim_permissions.can_read)
@require_http_methods(["GET", "POST"])
def returns(request):
    """The dealer ships old parts; the maker sees what is on its way."""
    user = request.user
    ship_form = None
    if claim_permissions.can_submit(user):
        ship_form = forms.ShipForm(request.POST or None, user=user, awaiting=selectors.lines_awaiting_return(user=user))
        if request.method == "POST" and ship_form.is_valid():
            try:
                batch = return_services.return_ship(actor=user, **ship_form.cleaned_data)
            except ApplicationError as error:
                _show_error(request, error)
            else:
                messages.success(request, _("Return %s shipped.") % batch.number)
                return redirect("claims:return", pk=batch.pk)
    elif request.method == "POST":
        return render(request, "403.html", status=403)
    batches = selectors.return_scope(user=user).order_by("-shipped_at", "-id")
    if request.GET.get("open"):
        batches = batches.filter(received_at__isnull=True)
    page = Paginator(batches, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "claims/returns.html", {"ship_form": ship_form, "page": page})


@allowed(claim_permissions.can_read)
@require_http_methods(["GET", "POST"])
def return_detail(request, pk):
    try:
        batch = selectors.return_get(user=request.user, pk=pk)
    except ApplicationError:
        raise Http404 from None
    reviewer = claim_permissions.can_review(request.user)
    if request.method == "POST":
        if not reviewer:
            return render(request, "403.html", status=403)
        try:
            if request.POST.get("action") == "receive":
                return_services.return_receive(batch=batch, actor=request.user)
            else:
                form = forms.AppraiseForm(request.POST)
                item = next(
                    (i for i in batch.items.all() if form.is_valid() and i.pk == form.cleaned_data["item"]), None
                )
                if item is None:
                    raise ApplicationError("claim_invalid", _("Choose the part and its appraisal."))
                return_services.return_appraise(
                    item=item,
                    actor=request.user,
                    appraisal=form.cleaned_data["appraisal"],
                    note=form.cleaned_data["note"],
                )
        except ApplicationError as error:
            _show_error(request, error)
        return redirect("claims:return", pk=batch.pk)
    return render(
        request,
        "claims/return.html",
        {"batch": batch, "reviewer": reviewer, "appraise_form": forms.AppraiseForm()},
    )


# --- settlement -------------------------------------------------------------------------------------------


@allowed(claim_permissions.can_read)
@require_http_methods(["GET", "POST"])
def statements(request):
    """Finance issues statements (one dealer, or every dealer with lines to settle); a dealer sees its own."""
    user = request.user
    finance = claim_permissions.can_settle(user)
    issue_form = forms.IssueForm(request.POST or None, user=user, initial={"period_end": timezone.localdate()})
    if request.method == "POST":
        if not finance:
            return render(request, "403.html", status=403)
        if issue_form.is_valid():
            dealer, period_end = issue_form.cleaned_data["dealer"], issue_form.cleaned_data["period_end"]
            try:
                if dealer is not None:
                    issued = [settlement_services.settlement_issue(actor=user, dealer=dealer, period_end=period_end)]
                else:
                    issued = settlement_services.settlements_issue_all(actor=user, period_end=period_end)
            except ApplicationError as error:
                _show_error(request, error)
            else:
                messages.success(request, _("%d statements issued.") % len(issued))
                if len(issued) == 1:
                    return redirect("claims:statement", pk=issued[0].pk)
            return redirect("claims:statements")
    page = Paginator(selectors.statement_scope(user=user).order_by("-issued_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    own_dealer = dealer_id_of(user)
    return render(
        request,
        "claims/statements.html",
        {"issue_form": issue_form if finance else None, "page": page, "own_dealer": own_dealer},
    )


def _statement(request, pk) -> SettlementStatement:
    try:
        return selectors.statement_get(user=request.user, pk=pk)
    except ApplicationError:
        raise Http404 from None


def offset_figures(statement: SettlementStatement, balance_now) -> dict:
    """The statement against the dealer's account: the balance before it is credited (at confirmation, from
    the ledger entry; before, the account's balance now), what the dealer owed, the offset and what is paid."""
    entry = getattr(statement, "account_entry", None) if hasattr(statement, "account_entry") else None
    before = entry.balance_after - statement.total if entry else balance_now
    owed = max(-before, 0)
    offset = min(statement.total, owed)
    return {
        "before": before,
        "after": before + statement.total,
        "owed": owed,
        "offset": offset,
        "payable": statement.total - offset,
        "booked": entry is not None,
    }


@allowed(claim_permissions.can_read)
@require_http_methods(["GET", "POST"])
def statement_detail(request, pk):
    """The printable 《三包费用核销通知》; the dealer confirms it here."""
    statement = _statement(request, pk)
    user = request.user
    own = claim_permissions.can_submit(user) and statement.dealer_id == dealer_id_of(user)
    if request.method == "POST":
        if not own:
            return render(request, "403.html", status=403)
        form = forms.VersionForm(request.POST)
        try:
            if not form.is_valid():
                raise ApplicationError("claim_invalid", _("Reload the statement and try again."))
            settlement_services.settlement_confirm(
                statement=statement, actor=user, expected_version=form.cleaned_data["version"]
            )
        except ApplicationError as error:
            _show_error(request, error)
        else:
            messages.success(request, _("Statement %s confirmed.") % statement.number)
        return redirect("claims:statement", pk=statement.pk)
    account, _entries = selectors.account_of(user=user, dealer=statement.dealer)
    return render(
        request,
        "claims/statement.html",
        {
            "statement": statement,
            "rows": settlement_services.statement_rows(statement),
            "own": own,
            "figures": offset_figures(statement, account.balance if account else 0),
        },
    )


@use_replica
def _export(request, pk, kind: str) -> HttpResponse:
    statement = _statement(request, pk)
    rows = settlement_services.statement_rows(statement)
    if kind == "csv":
        response = HttpResponse(exports.statement_csv(statement, rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            exports.statement_xlsx(statement, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{statement.number}.{kind}"'
    return response


@allowed(claim_permissions.can_read)
def statement_csv(request, pk):
    return _export(request, pk, "csv")


@allowed(claim_permissions.can_read)
def statement_xlsx(request, pk):
    return _export(request, pk, "xlsx")


@allowed(claim_permissions.can_read)
@require_http_methods(["GET", "POST"])
def account(request, pk):
    """A dealer's account: balance and ledger; finance records a debit or a credit."""
    try:
        dealer = selectors.dealer_get(user=request.user, pk=pk)
    except ApplicationError:
        raise Http404 from None
    finance = claim_permissions.can_settle(request.user)
    form = forms.AccountEntryForm(request.POST or None)
    if request.method == "POST":
        if not finance:
            return render(request, "403.html", status=403)
        if form.is_valid():
            try:
                settlement_services.account_post(actor=request.user, dealer=dealer, **form.cleaned_data)
            except ApplicationError as error:
                _show_error(request, error)
            else:
                return redirect("claims:account", pk=dealer.pk)
    balance, entries = selectors.account_of(user=request.user, dealer=dealer)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "claims/account.html",
        {
            "dealer": dealer,
            "balance": balance.balance if balance else 0,
            "page": page,
            "form": form if finance else None,
            "kinds": dict(AccountEntry.Kind.choices),
        },
    )
