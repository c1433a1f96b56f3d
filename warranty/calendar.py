"""Working days for period ends (sanbao.md option 4), from China's statutory dates (``warranty.holidays``), and the
zone warranty dates are taken in (``aftersales.dates.business_zone``, the product's one rule)."""

from __future__ import annotations

from datetime import date

from aftersales.dates import business_zone
from warranty.holidays import is_statutory_working_day

__all__ = ["business_zone", "is_working_day"]


def is_working_day(day: date) -> bool:
    # A year nobody entered and the installed library does not know falls back to Monday–Friday.
    return is_statutory_working_day(day)
