"""SQL building blocks the ORM lacks: PostgreSQL's ordered-set aggregate ``percentile_cont``."""

from __future__ import annotations

from django.db.models import Aggregate, FloatField


class PercentileCont(Aggregate):
    """``percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)``: the continuous percentile, e.g. the
    median at 0.5 — interpolated between the two middle values, as PostgreSQL computes it. Takes ``filter``
    like any aggregate (``FILTER (WHERE …)``)."""

    function = "percentile_cont"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False

    def __init__(self, expression, fraction: float, **extra):
        fraction = float(fraction)
        if not 0 <= fraction <= 1:
            raise ValueError("A percentile is a fraction from 0 to 1.")
        # A number the code chose (never input), so it is written into the SQL as a literal.
        super().__init__(expression, fraction=repr(fraction), **extra)
