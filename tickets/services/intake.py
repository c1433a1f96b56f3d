"""A new case's rows in one statement: its number from the sequence, the case, its timers and its "created"
event, written by one INSERT with data-modifying CTEs instead of four round trips (nextval, then an INSERT
per table). The values are the ones the ORM would write — each field's own preparation for the database —
so the rows are the same as ``save()``/``bulk_create()`` would store."""

from __future__ import annotations

import functools
import json

from django.db import connection
from django.db.models import Model
from django.db.models.expressions import DatabaseDefault

from aftersales import prepared
from tickets.models import Ticket, TicketEvent, Timer

NUMBER_SEQUENCE = "tickets_ticket_number_seq"


def _columns(model: type[Model], *, skip: tuple[str, ...] = ()) -> list:
    # Generated columns are the database's to fill, as in the ORM's own INSERT.
    return [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and not getattr(f, "generated", False) and f.attname not in skip
    ]


def _value(field, obj: Model):
    value = field.pre_save(obj, True)
    if isinstance(value, DatabaseDefault):
        value = field.db_default.value
    return field.get_db_prep_save(value, connection)


def _placeholders(fields: list) -> str:
    """``%s::type, …``: typed, as INSERT … SELECT assigns a text literal to no other column type."""
    return ", ".join(f"%s::{field.db_type(connection)}" for field in fields)


def _names(fields: list) -> str:
    return ", ".join(connection.ops.quote_name(field.column) for field in fields)


@functools.cache
def _statement(timer_count: int) -> tuple[prepared.Statement, list, list, list]:
    """The statement for a case with ``timer_count`` timers and the fields whose values it takes, in order
    (made once per count: the fields and their column types do not change while the process runs; prepared
    once per connection, aftersales.prepared)."""
    quote = connection.ops.quote_name
    ticket_fields = _columns(Ticket, skip=("number",))
    timer_fields = _columns(Timer, skip=("ticket_id",))
    event_fields = _columns(TicketEvent, skip=("ticket_id",))
    parts = [
        f"seq AS (SELECT nextval('{NUMBER_SEQUENCE}') AS n)",
        f"new_ticket AS (INSERT INTO {quote(Ticket._meta.db_table)} ({quote('number')}, {_names(ticket_fields)}) "
        f"SELECT %s || lpad(seq.n::text, greatest(6, length(seq.n::text)), '0'), {_placeholders(ticket_fields)} "
        "FROM seq RETURNING id, number)",
    ]
    if timer_count:
        rows = ", ".join([f"({_placeholders(timer_fields)})"] * timer_count)
        aliases = ", ".join(f"c{index}" for index in range(len(timer_fields)))
        parts.append(
            f"new_timers AS (INSERT INTO {quote(Timer._meta.db_table)} (ticket_id, {_names(timer_fields)}) "
            f"SELECT new_ticket.id, v.* FROM new_ticket, (VALUES {rows}) AS v({aliases}) RETURNING id, metric_id)"
        )
    else:
        parts.append("new_timers AS (SELECT NULL::bigint AS id, NULL::bigint AS metric_id WHERE false)")
    parts.append(
        f"new_event AS (INSERT INTO {quote(TicketEvent._meta.db_table)} (ticket_id, {_names(event_fields)}) "
        f"SELECT new_ticket.id, {_placeholders(event_fields)} FROM new_ticket RETURNING id)"
    )
    sql = (
        f"WITH {', '.join(parts)} SELECT new_ticket.id, new_ticket.number, "
        "(SELECT coalesce(json_agg(json_build_array(id, metric_id)), '[]') FROM new_timers)::text, "
        "(SELECT id FROM new_event) FROM new_ticket"
    )
    return prepared.Statement(sql), ticket_fields, timer_fields, event_fields


def intake_insert(ticket: Ticket, timers: list[Timer], event: TicketEvent, *, number_prefix: str) -> None:
    """Insert the case (numbered ``number_prefix`` + the sequence's next value, at least six digits), its
    ``timers`` and its ``event`` in one statement; the instances get their ids (and the case its number) and
    count as saved."""
    statement, ticket_fields, timer_fields, event_fields = _statement(len(timers))
    params = [number_prefix, *(_value(field, ticket) for field in ticket_fields)]
    for timer in timers:
        params.extend(_value(field, timer) for field in timer_fields)
    params.extend(_value(field, event) for field in event_fields)
    with connection.cursor() as cursor:
        prepared.execute(cursor, statement, params)
        ticket_id, number, timer_ids, event_id = cursor.fetchone()
    ticket.pk, ticket.number = ticket_id, number
    _saved(ticket)
    ids = {metric_id: pk for pk, metric_id in json.loads(timer_ids)}  # one timer per metric on a case
    for timer in timers:
        timer.pk, timer.ticket_id = ids[timer.metric_id], ticket_id
        _saved(timer)
    event.pk, event.ticket_id = event_id, ticket_id
    _saved(event)


def _saved(obj: Model) -> None:
    obj._state.adding = False
    obj._state.db = connection.alias
