"""The case's history: every change of a case writes one event row (who, what, from, to, when)."""

from __future__ import annotations

from datetime import datetime

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
