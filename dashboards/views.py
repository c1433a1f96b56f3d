"""Dashboard pages: the overview (the managers' landing page), one page per section with its charts, tables
and exports, and the recurring-fault early warnings with their acknowledgement."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from aftersales.db_router import use_replica
from aftersales.decorators import role_required
from aftersales.errors import ApplicationError
from dashboards import access, exports
from dashboards import render as rendering
from dashboards.headline import headline
from dashboards.sections import section_get, visible_sections
from dashboards.sections.base import drill
from tickets.dashboards.drilldown import figure
from tickets.dashboards.filters import period_filters
from tickets.dashboards.warnings import warning_behind, warning_get, warning_list
from tickets.models import EarlyWarning
from tickets.services.early_warning import describe, early_warning_acknowledge, period_label

ALL_VIEWERS = access.DASHBOARD_VIEWERS | access.WARNING_VIEWERS | access.CLAIMS_VIEWERS


def _context(request, active: str, params: dict | None = None, **values) -> dict:
    """What every dashboard page shows around its content: the sections the user may open (keeping the
    current filters) and the early warnings for those who may see them."""
    return {
        "active": active,
        "sections": visible_sections(request.user),
        "perms_warnings": request.user.has_role(*access.WARNING_VIEWERS),
        "params": params or {},
        "query": urlencode(params or {}),
        **values,
    }


@role_required(*ALL_VIEWERS)
@use_replica
def home(request):
    now = timezone.now()
    return render(
        request,
        "dashboards/home.html",
        _context(request, "home", headline=headline(user=request.user, now=now), now=now),
    )


def _section_or_404(request, key):
    try:
        section = section_get(key)
    except ApplicationError:
        raise Http404 from None
    if not request.user.has_role(*section.roles):
        return section, render(request, "403.html", status=403)
    return section, None


@role_required(*ALL_VIEWERS)
@use_replica
def section(request, key):
    section, refused = _section_or_404(request, key)
    if refused:
        return refused
    now = timezone.now()
    form = rendering.filter_form(request.GET, now=now)
    if not form.is_valid():
        return render(
            request, "dashboards/section.html", _context(request, key, section=section, form=form), status=400
        )
    result = rendering.compute(key, user=request.user, form=form, now=now)
    # The form shows the filters in force (the defaults filled in), so the page can be bookmarked as seen.
    form = rendering.filter_form(result.filters.params(), now=now)
    tables = [
        {"table": table, "chart": rendering.chart_data(table), "chart_id": f"chart-data-{table.key}"}
        for table in result.tables
    ]
    return render(
        request,
        "dashboards/section.html",
        _context(request, key, result.filters.params(), section=section, form=form, result=result, tables=tables),
    )


@role_required(*ALL_VIEWERS)
@use_replica
def export(request, key, extension):
    section, refused = _section_or_404(request, key)
    if refused:
        return refused
    now = timezone.now()
    form = rendering.filter_form(request.GET, now=now)
    if not form.is_valid():
        return render(
            request, "dashboards/section.html", _context(request, key, section=section, form=form), status=400
        )
    result = rendering.compute(key, user=request.user, form=form, now=now)
    wanted = request.GET.get("table", "")
    tables = [table for table in result.tables if not wanted or table.key == wanted]
    if not tables or (extension == "csv" and not wanted):
        raise Http404
    if extension == "csv":
        return exports.table_csv(result, tables[0])
    return exports.section_xlsx(result, tables)


class AcknowledgeForm(forms.Form):
    route = forms.ChoiceField(
        label=gettext_lazy("route to"),
        choices=[
            (EarlyWarning.Route.RD.value, EarlyWarning.Route.RD.label),
            (EarlyWarning.Route.TRAINING.value, EarlyWarning.Route.TRAINING.label),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


def _warning_rows(warnings):
    return [{"warning": w, "text": describe(w), "period": period_label(w.window, w.period_start)} for w in warnings]


@role_required(*access.WARNING_VIEWERS)
def warnings(request):
    status = request.GET.get("status", "")
    status = status if status in EarlyWarning.Status.values else ""
    route = request.GET.get("route", "")
    route = route if route in (EarlyWarning.Route.RD, EarlyWarning.Route.TRAINING) else ""
    rows = _warning_rows(warning_list(user=request.user, status=status, route=route))
    return render(
        request,
        "dashboards/warnings.html",
        {
            "rows": rows,
            "status": status,
            "route": route,
            "statuses": EarlyWarning.Status.choices,
            "routes": EarlyWarning.Route.choices[1:],
        }
        | _context(request, "warnings"),
    )


@role_required(*access.WARNING_VIEWERS)
@require_http_methods(["GET", "POST"])
def warning(request, pk):
    try:
        item = warning_get(user=request.user, pk=pk)
    except ApplicationError:
        raise Http404 from None
    form = AcknowledgeForm(request.POST or None)
    may_handle = request.user.has_role(*access.WARNING_HANDLERS)
    if request.method == "POST":
        if not may_handle:
            return render(request, "403.html", status=403)
        if form.is_valid():
            try:
                early_warning_acknowledge(warning=item, actor=request.user, **form.cleaned_data)
            except ApplicationError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("Warning acknowledged and routed."))
            return redirect("dashboards:warning", pk=item.pk)
    # The warning names its own period: no dimension filters go with its cases.
    cases_link = drill(period_filters(start=item.period_start, end=item.period_start), figure("warning", item.pk))
    return render(
        request,
        "dashboards/warning.html",
        {
            "warning": item,
            "text": describe(item),
            "period": period_label(item.window, item.period_start),
            "behind": warning_behind(user=request.user, warning=item),
            "events": item.events.select_related("actor").order_by("at", "id"),
            "form": form,
            "may_handle": may_handle and item.status == EarlyWarning.Status.OPEN,
            "cases_link": cases_link,
        }
        | _context(request, "warnings"),
    )
