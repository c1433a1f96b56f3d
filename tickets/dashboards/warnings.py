"""Reads of recurring-fault early warnings: the list, one warning, and the units and cases behind it.

Warnings are the manufacturer's quality data: a dealer's people see none (tickets.scoping), and the units
and cases behind a warning are listed through the viewer's scope like every other read."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from aftersales.errors import ApplicationError
from aftersales.scoping import scope_for
from tickets.models import EarlyWarning, RepairReport
from tickets.services.early_warning import instant
from warranty import dashboards as warranty_dashboards
from warranty.models import RepairRecord

WARNING_NOT_FOUND = "warning_not_found"
WARNING_LIST_SIZE = 200


def warning_scope(*, user) -> QuerySet[EarlyWarning]:
    """Warnings the user may see (none for a dealer's people)."""
    return scope_for(user, EarlyWarning.objects.select_related("product_model", "acknowledged_by", "rule"))


def warning_list(*, user, status: str = "", route: str = "", limit: int = WARNING_LIST_SIZE) -> list[EarlyWarning]:
    """Warnings the user may see, open ones first, the newest period first."""
    warnings = warning_scope(user=user)
    if status:
        warnings = warnings.filter(status=status)
    if route:
        warnings = warnings.filter(route=route)
    return list(warnings.order_by("status", "-period_start", "-count", "id")[:limit])


def warning_get(*, user, pk: int) -> EarlyWarning:
    try:
        return warning_scope(user=user).get(pk=pk)
    except EarlyWarning.DoesNotExist:
        raise ApplicationError(WARNING_NOT_FOUND, _("No such early warning."), status=404) from None


def warning_records(warning_id: int) -> QuerySet[RepairRecord]:
    """The repair records (faults) a warning counted: its model's repairs of its code in its period."""
    warning = EarlyWarning.objects.filter(pk=warning_id).first()
    if warning is None:
        return warranty_dashboards.faults().none()
    return warranty_dashboards.fault_records(
        product_model_id=warning.product_model_id,
        problem_code=warning.problem_code,
        start=instant(warning.period_start),
        end=instant(warning.period_end),
    )


def warning_behind(*, user, warning: EarlyWarning) -> list[dict]:
    """The repairs behind a warning, as the user may see them: unit serial, repair date, and the case that
    reported it (none for a dealer claim or a record entered by hand). Two queries."""
    records = list(
        scope_for(user, warning_records(warning.pk))
        .select_related("unit")
        .order_by("confirmed_at", "id")
        .values("id", "unit__serial", "confirmed_at", "source", "component")
    )
    cases = {
        row["repair_record_id"]: row
        for row in scope_for(user, RepairReport.objects.all())
        .filter(repair_record_id__in=[record["id"] for record in records])
        .values("repair_record_id", "ticket_id", "ticket__number")
    }
    return [
        {
            "serial": record["unit__serial"],
            "confirmed_at": record["confirmed_at"],
            "source": record["source"],
            "component": record["component"],
            "ticket_id": cases.get(record["id"], {}).get("ticket_id"),
            "ticket_number": cases.get(record["id"], {}).get("ticket__number", ""),
        }
        for record in records
    ]
