"""One search for the header box and the queue's ``q`` filter: cases by number, units by serial / VIN prefix,
customers by name or phone — each scoped to what the user may see (aftersales.scoping).

Served by PostgreSQL indexes (migration ``search_indexes``): trigram GIN indexes when the server has the
``pg_trgm`` extension (names and phones match anywhere in the text), otherwise ``text_pattern_ops`` btree
indexes and names match from their start. Numbers and serials always match by prefix."""

from __future__ import annotations

from functools import lru_cache

from django.db import connection
from django.db.models import Q, QuerySet

from aftersales.scoping import scope_for
from tickets.models import Ticket
from warranty.models import Customer, Unit
from warranty.selectors import normalize_serial

SHOWN = 20
MAX_QUERY = 100


@lru_cache(maxsize=1)
def _trigram_installed(alias: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        return cursor.fetchone() is not None


def trigram_available() -> bool:
    return _trigram_installed(connection.alias)


def clean(q: str) -> str:
    return " ".join((q or "").split())[:MAX_QUERY]


def _text(field: str, q: str) -> Q:
    """Names: anywhere with trigram indexes, else from the start (the btree pattern index)."""
    return Q(**{f"{field}__icontains" if trigram_available() else f"{field}__startswith": q})


def _phone(field: str, q: str) -> Q:
    digits = "".join(ch for ch in q if ch.isdigit() or ch == "+")
    if len(digits) < 3 or digits != q.replace(" ", "").replace("-", ""):
        return Q(pk__in=[])
    return Q(**{f"{field}__contains" if trigram_available() else f"{field}__startswith": digits})


def ticket_condition(q: str) -> Q:
    """Cases matching ``q``: number or serial prefix, the reporter's or the customer's name or phone."""
    q = clean(q)
    if not q:
        return Q()
    upper = normalize_serial(q)
    return (
        Q(number__startswith=q.upper())
        | Q(unit__serial__startswith=upper)
        | _text("customer__name", q)
        | _text("reporter_name", q)
        | _phone("contact_phone", q)
        | _phone("customer__phone", q)
    )


def search(*, user, q: str) -> dict[str, list]:
    """What the header search finds, in three groups (the first ``SHOWN`` of each)."""
    q = clean(q)
    if len(q) < 2:
        return {"cases": [], "units": [], "customers": []}
    cases: QuerySet[Ticket] = scope_for(user, Ticket.objects.all()).filter(ticket_condition(q))
    units = scope_for(user, Unit.objects.all()).filter(
        Q(serial__startswith=normalize_serial(q)) | _text("customer__name", q) | _phone("customer__phone", q)
    )
    customers = scope_for(user, Customer.objects.all()).filter(_text("name", q) | _phone("phone", q))
    return {
        "cases": list(cases.select_related("customer", "unit", "severity").order_by("-reported_at", "-id")[:SHOWN]),
        "units": list(units.select_related("customer", "product_model").order_by("serial")[:SHOWN]),
        "customers": list(customers.order_by("name", "id")[:SHOWN]),
    }
