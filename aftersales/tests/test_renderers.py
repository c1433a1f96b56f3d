"""The orjson renderer writes the bytes DRF's JSONRenderer writes."""

from datetime import UTC, date, datetime
from decimal import Decimal

from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict

from aftersales.api.renderers import FastJSONRenderer


def test_fast_renderer_writes_drfs_bytes():
    data = {
        "text": '长描述 "quoted" back\\slash \n\t\x01 \x7f \u2028 \u2029 é 🚗',
        "numbers": [0, -1, 2**40, True, False, None],
        "huge": 2**70,
        "nested": ReturnDict({"k": [{"a": "b"}]}, serializer=None),
        "decimal": Decimal("12.50"),
        "lazy": gettext_lazy("Search"),
        "error": ErrorDetail("bad", code="invalid"),
        "when": datetime(2026, 3, 1, 23, 30, 5, 7, tzinfo=UTC),
        "day": date(2026, 3, 1),
        "empty": {},
    }
    assert FastJSONRenderer().render(data, "application/json") == JSONRenderer().render(data, "application/json")
    assert FastJSONRenderer().render(None) == b""


def test_fast_renderer_indents_as_drf_when_asked():
    data = {"a": [1, {"b": "c"}]}
    media = "application/json; indent=4"
    assert FastJSONRenderer().render(data, media) == JSONRenderer().render(data, media)
