"""A unit read with what its coverage reads (warranty.coverage.with_coverage_reads: its contracts and repairs
in the query that finds it) is judged exactly as a unit read on its own, in fewer statements."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from warranty import coverage
from warranty.models import RepairRecord, Unit
from warranty.tests.factories import ContractFactory, RepairFactory

pytestmark = pytest.mark.django_db
ON = date(2026, 11, 20)


def read(unit: Unit, *, with_reads: bool) -> Unit:
    units = Unit.objects.select_related("product_model__policy", "policy", "customer", "site")
    return (coverage.with_coverage_reads(units) if with_reads else units).get(pk=unit.pk)


def answer(unit: Unit) -> dict:
    return coverage.coverage(unit, on=ON, usage=unit.usage_reading)


def test_repairs_read_with_the_unit_are_the_stored_repairs(car):
    base = datetime(2026, 7, 1, 9, 30, 15, 123456).astimezone()
    # Every kind of column: times to the microsecond, decimals, an array, JSON, booleans, blanks and nulls;
    # stored out of order (the engine reads them by confirmation time, then id).
    RepairFactory(
        unit=car,
        confirmed_at=base + timedelta(days=3),
        completed_at=None,
        usage=None,
        problem_code="E101",
        quality_problem=False,
        serious_safety=True,
        assemblies_replaced=["engine", "gearbox"],
        main_parts_replaced=[{"system": "brakes", "part": "caliper"}],
        excluded_hours=Decimal("1.25"),
        parts_wait_hours=Decimal("48.50"),
        parts_wait_party="seller",
        component="battery",
    )
    # Two at the same time, stored in the opposite order of their ids: the engine takes the lower id first.
    RepairFactory(id=10**9, unit=car, confirmed_at=base, usage=12001, problem_code="E8")
    RepairFactory(unit=car, confirmed_at=base, usage=12000, problem_code="E7", excluded_hours=Decimal("0.10"))
    stored = coverage.unit_history(read(car, with_reads=False))
    assert [repair.problem_code for repair in stored] == ["E7", "E8", "E101"]
    # The columns the engine reads, exactly as stored (decimals to their scale: "48.50", not 48.5).
    fields = [field.attname for field in coverage._REPAIR_FIELDS]
    records = list(RepairRecord.objects.filter(unit=car).order_by("confirmed_at", "id").values_list(*fields))
    folded = read(car, with_reads=True)
    with CaptureQueriesContext(connection) as queries:
        rows = [
            tuple(getattr(record, name) for name in fields)
            for record in coverage._repairs_from_rows(folded.repair_rows)
        ]
        assert coverage.unit_history(folded) == stored
    assert not queries.captured_queries
    assert [tuple(map(str, row)) for row in rows] == [tuple(map(str, row)) for row in records]
    assert rows == records
    assert answer(folded) == answer(read(car, with_reads=False))


def test_a_unit_without_repairs_or_contracts_is_judged_without_reading_them(car):
    unit = read(car, with_reads=True)
    assert unit.contract_ids == [] and unit.repair_rows is None
    with CaptureQueriesContext(connection) as queries:
        folded = answer(unit)
    assert not [q["sql"] for q in queries if "servicecontract" in q["sql"] or "repairrecord" in q["sql"]]
    assert folded == answer(read(car, with_reads=False))


def test_a_unit_under_contract_is_judged_by_the_contract_in_force(car):
    ended = ContractFactory(customer=car.customer, starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31))
    ended.units.add(car)
    current = ContractFactory(customer=car.customer, starts_on=date(2026, 1, 1), ends_on=date(2027, 12, 31))
    current.units.add(car)
    unit = read(car, with_reads=True)
    assert len(unit.contract_ids) == 2
    assert coverage.resolve_basis(unit, on=ON).contract == current
    assert answer(unit) == answer(read(car, with_reads=False))
