"""Dashboard selectors over units' repair histories (aggregated in PostgreSQL): repeat repairs of the same
fault, and problem codes counted per product model and period for the recurring-fault early warning.

Repair records come from repair cases, dealer claims and hand entry alike (one per repair, by source key), so
these figures see every repair of a unit whoever reported it. A record counts as a fault of the product when
it has a problem code and was a quality problem (misuse and other excluded causes are not the product's).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from warranty.models import RepairRecord

REPEAT_WINDOWS = (30, 90, 365)
FAULT = Q(quality_problem=True) & ~Q(problem_code="")


def faults(records: QuerySet[RepairRecord] | None = None) -> QuerySet[RepairRecord]:
    """Repairs that count as the product's faults."""
    return (RepairRecord.objects.all() if records is None else records).filter(FAULT)


def repeat_of_q(days: int) -> Exists:
    """The unit had a repair of the same problem code within ``days`` before this one (served by the index
    on (unit, confirmed_at))."""
    earlier = RepairRecord.objects.filter(
        FAULT,
        unit_id=OuterRef("unit_id"),
        problem_code=OuterRef("problem_code"),
        confirmed_at__lt=OuterRef("confirmed_at"),
        confirmed_at__gte=OuterRef("confirmed_at") - timedelta(days=days),
    ).exclude(pk=OuterRef("pk"))
    return Exists(earlier)


def repeat_repair_counts(records: QuerySet[RepairRecord]) -> dict[str, int]:
    """Of these repairs (faults only): how many, and how many repeated the same fault of the same unit within
    30, 90 and 365 days. ``{"repairs", "within_30", "within_90", "within_365"}``."""
    flagged = faults(records).annotate(**{f"repeat_{days}": repeat_of_q(days) for days in REPEAT_WINDOWS})
    return flagged.aggregate(
        repairs=Count("pk"),
        **{f"within_{days}": Count("pk", filter=Q(**{f"repeat_{days}": True})) for days in REPEAT_WINDOWS},
    )


def repeat_records(records: QuerySet[RepairRecord], days: int) -> QuerySet[RepairRecord]:
    """The repairs among ``records`` that repeated a fault within ``days`` (what a figure above counts)."""
    return faults(records).filter(repeat_of_q(days))


def problem_code_counts(
    *,
    windows: list[tuple[datetime, datetime]],
    product_model_ids: list[int] | None = None,
    problem_code: str = "",
) -> list[dict]:
    """Faults per (product model, problem code) in each of ``windows`` (consecutive [start, end) periods,
    oldest first, the last one the period being watched), for every pair that has at least one fault in the
    last window: ``[{"product_model_id", "problem_code", "counts": [n per window]}]``.

    One scan of the records of the whole span, counted per window with ``FILTER``; pairs without a fault in
    the watched window are dropped in SQL (HAVING)."""
    if not windows:
        return []
    records = faults().filter(confirmed_at__gte=windows[0][0], confirmed_at__lt=windows[-1][1])
    if product_model_ids is not None:
        records = records.filter(unit__product_model_id__in=product_model_ids)
    if problem_code:
        records = records.filter(problem_code=problem_code)
    counts = {
        f"w{index}": Count("pk", filter=Q(confirmed_at__gte=start, confirmed_at__lt=end))
        for index, (start, end) in enumerate(windows)
    }
    last = f"w{len(windows) - 1}"
    rows = (
        records.values("unit__product_model_id", "problem_code")
        .annotate(**counts)
        .filter(**{f"{last}__gt": 0})
        .order_by("unit__product_model_id", "problem_code")
    )
    return [
        {
            "product_model_id": row["unit__product_model_id"],
            "problem_code": row["problem_code"],
            "counts": [row[f"w{index}"] for index in range(len(windows))],
        }
        for row in rows
    ]


def fault_records(*, product_model_id: int, problem_code: str, start: datetime, end: datetime) -> QuerySet:
    """The faults behind one count: a model's repairs of one problem code in [start, end)."""
    return faults().filter(
        unit__product_model_id=product_model_id,
        problem_code=problem_code,
        confirmed_at__gte=start,
        confirmed_at__lt=end,
    )
