"""A JSON renderer writing the same bytes as DRF's (compact, UTF-8 unescaped, U+2028/U+2029 escaped) with
orjson: for large responses whose encoding shows in the request's time (the case list's pages)."""

from __future__ import annotations

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_fallback = JSONEncoder()
# Times, dates and dataclasses as DRF writes them (its encoder: milliseconds, "Z"), not orjson's own way.
_AS_DRF = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class FastJSONRenderer(JSONRenderer):
    """DRF's JSONRenderer, encoded by orjson; what orjson does not know (decimals, lazy translations, dates
    given as objects) goes through DRF's own encoder. An indented response (``; indent=``) is DRF's. For
    responses without floats: orjson writes NaN as null where DRF writes NaN."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        renderer_context = renderer_context or {}
        indent = self.get_indent(accepted_media_type, renderer_context)
        if indent is not None or not self.compact or self.ensure_ascii:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            body = orjson.dumps(data, default=_fallback.default, option=_AS_DRF)
        except orjson.JSONEncodeError:  # what orjson refuses (an integer beyond 64 bits): DRF's own way
            return super().render(data, accepted_media_type, renderer_context)
        # As DRF: the two line separators JSON allows raw but JavaScript does not.
        return body.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
