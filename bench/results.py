"""Figures of one benchmark run, collected from every script for the suite's one table (``bench.suite``).

A script calls ``record(...)`` for each figure; when run by the suite (``BENCH_RESULTS`` names a file) the
figure is appended there as one JSON line, otherwise only printed by the script itself as before.
"""

from __future__ import annotations

import json
import os
import statistics


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def summary(durations: list[float]) -> dict:
    return {"p50": statistics.median(durations) if durations else 0.0, "p99": percentile(durations, 0.99)}


def record(
    figure: str,
    value: float,
    *,
    floor: float | None = None,
    target: float | None = None,
    unit: str = "ms",
    note: str = "",
    **extra,
) -> dict:
    """One figure beside its floor (measured in the same run) and the target ratio (figure / floor)."""
    row = {
        "figure": figure,
        "value": round(value, 3),
        "floor": None if floor is None else round(floor, 3),
        "ratio": None if not floor else round(value / floor, 2),
        "target": target,
        "unit": unit,
        "note": note,
        **extra,
    }
    path = os.environ.get("BENCH_RESULTS")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return row


def peak_rss_mb() -> float:
    """This process's peak resident memory so far."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
