from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from aftersales.dates import business_date
from aftersales.decorators import role_required
from aftersales.errors import ApplicationError
from aftersales.roles import INTERNAL_ROLES, Role
from aftersales.scoping import scope_for
from warranty import coverage as coverage_module
from warranty import engine
from warranty.forms import HypotheticalFaultForm, UnitImportForm, UnitRegistrationForm
from warranty.models import UnitImport
from warranty.selectors import unit_get, unit_search
from warranty.services import units as unit_services
from warranty.services.customers import customer_get_or_create, site_get_or_create
from warranty.services.imports import unit_import_create

UNIT_READERS = (*INTERNAL_ROLES, Role.DEALER_STAFF)
IMPORTERS = (Role.ADMIN, Role.SERVICE_MANAGER, Role.DEALER_STAFF)
REGISTRARS = (Role.ADMIN, Role.SERVICE_DESK, Role.SERVICE_MANAGER, Role.DEALER_STAFF)


@role_required(*UNIT_READERS)
def unit_list(request):
    query = request.GET.get("q", "").strip()
    page = Paginator(unit_search(user=request.user, query=query), 25).get_page(request.GET.get("page"))
    if query and page.paginator.count == 1:
        return redirect("warranty:unit-detail", serial=page.object_list[0].serial)
    return render(request, "warranty/unit_list.html", {"page": page, "query": query})


def timeline(periods: list[dict], today: date) -> dict:
    """Bars for the periods on one scale from the earliest start to the latest end (percent of the width)."""
    if not periods:
        return {"bars": [], "today": None}
    first = min(p["start"] for p in periods)
    last = max(max(p["end"] for p in periods), today)
    span = max((last - first).days, 1)
    bars = [
        {
            **p,
            "left": round(100 * (p["start"] - first).days / span, 2),
            "width": max(round(100 * (p["end"] - p["start"]).days / span, 2), 0.5),
        }
        for p in periods
    ]
    return {"bars": bars, "today": round(100 * (today - first).days / span, 2), "first": first, "last": last}


@role_required(*UNIT_READERS)
def unit_detail(request, serial):
    try:
        unit = unit_get(user=request.user, serial=serial, coverage_reads=True)
    except ApplicationError:
        return render(request, "404.html", status=404)
    today = business_date()
    answer = coverage_module.coverage(unit, on=today, usage=unit.usage_reading)
    repairs = list(unit.repairs.order_by("-confirmed_at", "-id"))
    form = HypotheticalFaultForm(request.GET or None, initial={"claim_date": today, "usage": unit.usage_reading})
    evaluation = error = None
    if request.GET and form.is_valid():
        values = form.cleaned_data
        fault = engine.Fault(
            problem_code=values["problem_code"],
            component=values["component"],
            quality_problem=values["quality_problem"],
            serious_safety=values["serious_safety"],
            failure_types=tuple(values["failure_types"]),
            needs_assembly_replacement=values["needs_assembly_replacement"],
            assembly_main_part_defect=values["assembly_main_part_defect"],
            still_unusable=values["still_unusable"],
            serious_fault_persists=values["serious_fault_persists"],
            exclusion=values["exclusion"],
            handed_in_at=values["handed_in_at"],
            parts_wait_party=values["parts_wait_party"],
            refund_date=values["refund_date"],
        )
        try:
            basis, evaluation = coverage_module.evaluate_unit(
                unit,
                claim_date=values["claim_date"],
                usage=values["usage"],
                fault=fault,
                same_model_available=values["same_model_available"],
            )
            if evaluation is None:
                error = basis.message
        except engine.EngineError as engine_error:
            # A refusal about one input is shown next to it; the rest above the results.
            if engine_error.field in form.fields:
                form.add_error(engine_error.field, str(engine_error))
            else:
                error = str(engine_error)
    context = {
        "unit": unit,
        "coverage": answer,
        "timeline": timeline(answer["periods"], today),
        "repairs": repairs,
        "form": form,
        "evaluation": evaluation,
        "error": error,
        "today": today,
    }
    return render(request, "warranty/unit_detail.html", context)


@role_required(*REGISTRARS)
@require_http_methods(["GET", "POST"])
def unit_register(request):
    form = UnitRegistrationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        try:
            with transaction.atomic():
                customer = customer_get_or_create(name=values.pop("customer_name"), phone=values.pop("customer_phone"))
                address = values.pop("address")
                site = site_get_or_create(customer=customer, address=address) if address else None
                unit = unit_services.unit_register(actor=request.user, customer=customer, site=site, **values)
        except ApplicationError as error:
            for field, messages_ in error.details.items():
                for message in messages_:
                    form.add_error(field if field in form.fields else None, message)
            if not error.details:
                form.add_error(None, str(error.message))
        else:
            if unit.registered_late:
                messages.warning(
                    request, _("Registered more than 20 days after the sale: this is recorded on the unit.")
                )
            else:
                messages.success(request, _("Unit %s registered.") % unit.serial)
            return redirect("warranty:unit-detail", serial=unit.serial)
    return render(request, "warranty/unit_register.html", {"form": form})


@role_required(*IMPORTERS)
@require_http_methods(["GET", "POST"])
def import_list(request):
    form = UnitImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = unit_import_create(actor=request.user, uploaded_file=form.cleaned_data["file"])
        except ApplicationError as error:
            form.add_error("file", str(error.message))
        else:
            return redirect("warranty:import-detail", pk=job.pk)
    jobs = scope_for(request.user, UnitImport.objects.select_related("uploaded_by")).order_by("-created_at", "-id")
    return render(request, "warranty/import_list.html", {"form": form, "jobs": jobs[:50]})


@role_required(*IMPORTERS)
def import_detail(request, pk):
    job = get_object_or_404(scope_for(request.user, UnitImport.objects.all()), pk=pk)
    errors = Paginator(job.errors.all(), 100).get_page(request.GET.get("page"))
    return render(request, "warranty/import_detail.html", {"job": job, "errors": errors})
