"""Bounds for every input the API and pages take, applied by class (serializers, filters, parsers,
middleware) so a new serializer or filter gets them without asking.

- Integers: the range of the column they are stored in (a serializer with ``Meta.model`` names it; other
  integer inputs get PostgreSQL's ``integer`` range, the narrowest column a bare integer goes to here).
- Dates and times: years 1900–2200, which Python's date arithmetic (periods of years added to a claim date)
  and PostgreSQL both survive; times with an offset of at most ±14:00 (the widest in use on Earth).
- Text: no NUL character anywhere (PostgreSQL text and jsonb refuse it).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2200, 12, 31)
MAX_OFFSET = dt.timedelta(hours=14)
NUL = "\x00"
NUL_CHARACTER = "nul_character"
OUT_OF_RANGE = "out_of_range"

# Ids are bigint columns; a page's id, version or index beyond this is no id at all.
MAX_ID = 2**63 - 1


def whole_number(raw, *, maximum: int = MAX_ID) -> int | None:
    """``raw`` (a query or form value) as a whole number 0..``maximum``, else None. ASCII digits only:
    ``str.isdigit`` also accepts "²" and "٣", which ``int()`` then refuses or reads as another number."""
    text = str(raw).strip() if raw is not None else ""
    if not re.fullmatch(r"[0-9]{1,19}", text):
        return None
    number = int(text)
    return number if number <= maximum else None


DATE_MESSAGE = _("Give a date between %(min)s and %(max)s.")
OFFSET_MESSAGE = _("Give a UTC offset between -14:00 and +14:00.")
NUMBER_MESSAGE = _("Give a whole number between %(min)s and %(max)s.")
NUL_MESSAGE = _("Text must not contain NUL characters.")


def integer_range(model_field: models.Field | None = None) -> tuple[int, int]:
    """What the column of ``model_field`` holds; PostgreSQL ``integer`` when there is none."""
    internal = "IntegerField"
    if model_field is not None:
        if isinstance(model_field, models.ForeignKey):
            model_field = model_field.target_field
        internal = model_field.get_internal_type()
        if internal == "AutoField":
            internal = "IntegerField"
        elif internal == "BigAutoField":
            internal = "BigIntegerField"
        elif internal == "SmallAutoField":
            internal = "SmallIntegerField"
    low, high = connection.ops.integer_field_range(internal)
    if internal.startswith("Positive"):
        low = 0
    return low, high


@deconstructible
class DateInRange:
    """Dates (and datetimes, by their date) between MIN_DATE and MAX_DATE."""

    code = OUT_OF_RANGE

    def __call__(self, value):
        if value is None:
            return
        day = value.date() if isinstance(value, dt.datetime) else value
        if not MIN_DATE <= day <= MAX_DATE:
            raise DjangoValidationError(
                DATE_MESSAGE, code=self.code, params={"min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()}
            )

    def __eq__(self, other):
        return isinstance(other, DateInRange)


@deconstructible
class OffsetInRange:
    """An aware datetime's UTC offset within ±14:00; PostgreSQL refuses wider ones with an error."""

    code = OUT_OF_RANGE

    def __call__(self, value):
        if isinstance(value, dt.datetime) and value.utcoffset() is not None and abs(value.utcoffset()) > MAX_OFFSET:
            raise DjangoValidationError(OFFSET_MESSAGE, code=self.code)

    def __eq__(self, other):
        return isinstance(other, OffsetInRange)


@deconstructible
class IntegerInRange:
    """A whole number the column can hold (also for Decimal input from number filters)."""

    code = OUT_OF_RANGE

    def __init__(self, low: int, high: int):
        self.low, self.high = low, high

    def __call__(self, value):
        if value is None:
            return
        if isinstance(value, Decimal) and (not value.is_finite() or value != value.to_integral_value()):
            raise DjangoValidationError(NUMBER_MESSAGE, code=self.code, params={"min": self.low, "max": self.high})
        if not self.low <= value <= self.high:
            raise DjangoValidationError(NUMBER_MESSAGE, code=self.code, params={"min": self.low, "max": self.high})

    def __eq__(self, other):
        return isinstance(other, IntegerInRange) and (self.low, self.high) == (other.low, other.high)


def contains_nul(value) -> bool:
    """True when a NUL character is anywhere in ``value``: strings, and keys and values of nested lists and
    dicts (as parsed from JSON or forms)."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(contains_nul(key) or contains_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(item) for item in value)
    return False


def model_field_for(model, path: str) -> models.Field | None:
    """The model field a ``field__path`` (as in filters and serializer sources) ends at, or None."""
    if model is None or not path:
        return None
    field = None
    for part in path.replace(".", "__").split("__"):
        try:
            field = model._meta.get_field(part)
        except (FieldDoesNotExist, AttributeError):
            return None
        model = field.related_model
    return field
