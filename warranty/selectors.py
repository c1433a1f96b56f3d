"""Reads of the warranty app, scoped to the user who asks."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from aftersales.errors import ApplicationError
from aftersales.scoping import scope_for
from warranty import coverage
from warranty.models import PartPrice, Unit

UNIT_NOT_FOUND = "unit_not_found"


def normalize_serial(serial: str) -> str:
    return "".join(serial.split()).upper()


def unit_scope(*, user) -> QuerySet[Unit]:
    """Units the user may see (aftersales.scoping): everything for the manufacturer's staff; for a dealer's
    people the units it sold or serves on a case."""
    return scope_for(user, Unit.objects.all())


def unit_get(*, user, serial: str, related: bool = True, coverage_reads: bool = False) -> Unit:
    """One unit by serial / VIN; another dealer's unit is "not found" like a unit that does not exist.
    ``coverage_reads``: for a caller about to judge its coverage, with what that reads (its contracts and
    repairs, warranty.coverage.with_coverage_reads) in the same query."""
    units = unit_scope(user=user)
    if related:
        units = units.select_related(
            "product_model__product_line", "product_model__policy", "policy", "customer", "site", "selling_dealer"
        )
        # With the stamp its policy's versions are kept under (warranty.coverage), read in the same query.
        units = coverage.with_coverage_reads(units) if coverage_reads else units.annotate(policy_stamp=coverage.STAMP)
    try:
        return units.get(serial=normalize_serial(serial))
    except Unit.DoesNotExist:
        raise ApplicationError(UNIT_NOT_FOUND, _("No unit with this serial number."), status=404) from None


def unit_search(*, user, query: str = "") -> QuerySet[Unit]:
    """Search by serial / VIN prefix, customer name, or customer / contact phone."""
    units = unit_scope(user=user).select_related("product_model", "customer", "selling_dealer")
    query = query.strip()
    if not query:
        return units.order_by("-registered_at", "-id")
    serial = normalize_serial(query)
    digits = "".join(char for char in query if char.isdigit())
    condition = Q(serial__startswith=serial) | Q(customer__name__icontains=query)
    if len(digits) >= 4:
        condition |= Q(customer__phone__contains=digits) | Q(customer__contacts__phone__contains=digits)
    return units.filter(condition).distinct().order_by("serial")


def part_price_on(*, part_number: str, day) -> PartPrice | None:
    """The price-list row in force for a part on a day: the latest one valid from that day or earlier."""
    return PartPrice.objects.filter(part_number=part_number, valid_from__lte=day).order_by("-valid_from").first()


def part_prices_on(*, part_numbers, day) -> dict[str, PartPrice]:
    """``part_price_on`` for several parts in one query: part number -> the row in force on ``day``."""
    rows = (
        PartPrice.objects.filter(part_number__in=set(part_numbers), valid_from__lte=day)
        .order_by("part_number", "-valid_from")
        .distinct("part_number")
    )
    return {row.part_number: row for row in rows}
