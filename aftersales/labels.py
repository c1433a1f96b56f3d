"""Codes are stored; people read labels, in their own language, chosen when the page is drawn.

Each app registers the labels of its code lists (``register("event", {...})`` with lazy translations); pages
use the ``label`` template filter (``{{ event.kind|label:"event" }}``) and code ``label(kind, code)``. Names
kept in both languages by configuration rows ("紧急故障 (critical)") show the viewer's half (``bilingual``).
"""

from __future__ import annotations

import re

from django.utils.translation import get_language

LABELS: dict[str, dict[str, object]] = {}
# The code lists a page must never show raw (the page-language test reads them).
CODE_LISTS: dict[str, set[str]] = {}


def register(kind: str, labels: dict[str, object]) -> None:
    LABELS.setdefault(kind, {}).update(labels)
    CODE_LISTS.setdefault(kind, set()).update(labels)


def label(kind: str, code) -> str:
    """The label of ``code`` in the code list ``kind``, in the active language; an unknown code as it is."""
    if code in (None, ""):
        return ""
    found = LABELS.get(kind, {}).get(str(code))
    return str(found) if found is not None else str(code)


BOTH = re.compile(r"^\s*(?P<zh>[^()（）]*?[\u3400-\u9fff][^()（）]*?)\s*[(（](?P<en>[^()（）]+)[)）]\s*$")
SLASHED = re.compile(r"^\s*(?P<zh>[^/]*[\u3400-\u9fff][^/]*?)\s+/\s+(?P<en>[^\u3400-\u9fff]+)$")


def bilingual(text: str) -> str:
    """The viewer's half of a name kept in both languages, "中文 (English)" or "中文 / English"; any other
    text as it is."""
    if not text:
        return ""
    for pattern in (BOTH, SLASHED):
        match = pattern.match(text)
        if match:
            return match["zh"].strip() if (get_language() or "").startswith("zh") else match["en"].strip()
    return text


def shown_name(name: str, kind: str, code: str) -> str:
    """A configured name in the viewer's language: the product's label of a known code (the defaults:
    "critical", "first_response", …), else the viewer's half of a name kept in both ("紧急故障 (critical)"),
    else the name as configured."""
    known = LABELS.get(kind, {}).get(code)
    return str(known) if known is not None else bilingual(name)
