"""The case's history: every change of a case writes one event row (who, what, from, to, when)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from django.db import connection

from tickets.models import Ticket, TicketEvent


def event(
    ticket: Ticket,
    *,
    actor,
    kind: str,
    at: datetime,
    from_state: str = "",
    to_state: str = "",
    data: dict | None = None,
) -> TicketEvent:
    """Append one event to the case's history (the table is append-only)."""
    return TicketEvent.objects.create(
        ticket=ticket, actor=actor, kind=kind, from_state=from_state, to_state=to_state, data=data or {}, at=at
    )


EVENTS_SQL = f"""
INSERT INTO {TicketEvent._meta.db_table} (actor_id, kind, from_state, to_state, data, at, ticket_id)
SELECT %(actor)s, %(kind)s, %(from_state)s, %(to_state)s, e.data::jsonb, %(at)s, e.ticket_id
  FROM unnest(%(tickets)s::bigint[], %(data)s::text[]) WITH ORDINALITY AS e(ticket_id, data, position)
 ORDER BY e.position
"""


def events_create_many(
    rows: Iterable[tuple[int, dict]],
    *,
    actor_id: int | None,
    kind: str,
    at: datetime,
    from_state: str = "",
    to_state: str = "",
) -> int:
    """``event`` for many cases at once, in one INSERT: one event of ``kind`` per (case id, data), in order.
    The callers hold the cases (their locks) as ``event``'s do. Returns how many were written."""
    tickets, data = [], []
    for ticket_id, values in rows:
        tickets.append(ticket_id)
        data.append(json.dumps(values or {}))
    if not tickets:
        return 0
    params = {"actor": actor_id, "kind": kind, "from_state": from_state, "to_state": to_state, "at": at}
    with connection.cursor() as cursor:
        cursor.execute(EVENTS_SQL, {**params, "tickets": tickets, "data": data})
    return len(tickets)
