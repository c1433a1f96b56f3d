"""A new case's rows in one statement: its number from the sequence, the case, its timers and its "created"
event, written by one INSERT with data-modifying CTEs instead of four round trips (nextval, then an INSERT
per table). The values are the ones the ORM would write — each field's own preparation for the database —
so the rows are the same as ``save()``/``bulk_create()`` would store."""

from __future__ import annotations

import json

from django.db import connection
from django.db.models import Model
from django.db.models.expressions import DatabaseDefault

from tickets.models import Ticket, TicketEvent, Timer

NUMBER_SEQUENCE = "tickets_ticket_number_seq"


def _columns(model: type[Model], *, skip: tuple[str, ...] = ()) -> list:
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.attname not in skip]


def _value(field, obj: Model):
    value = field.pre_save(obj, True)
    if isinstance(value, DatabaseDefault):
        value = field.db_default.value
    return field.get_db_prep_save(value, connection)


def _row(obj: Model, fields: list) -> tuple[str, list]:
    """``%s::type, …`` for the fields of ``obj`` and their prepared values (typed, as INSERT … SELECT
    assigns a text literal to no other column type)."""
    placeholders = ", ".join(f"%s::{field.db_type(connection)}" for field in fields)
    return placeholders, [_value(field, obj) for field in fields]


def _names(fields: list) -> str:
    return ", ".join(connection.ops.quote_name(field.column) for field in fields)


def intake_insert(ticket: Ticket, timers: list[Timer], event: TicketEvent, *, number_prefix: str) -> None:
    """Insert the case (numbered ``number_prefix`` + the sequence's next value, at least six digits), its
    ``timers`` and its ``event`` in one statement; the instances get their ids (and the case its number) and
    count as saved."""
    quote = connection.ops.quote_name
    ticket_fields = _columns(Ticket, skip=("number",))
    ticket_sql, params = _row(ticket, ticket_fields)
    parts = [
        f"seq AS (SELECT nextval('{NUMBER_SEQUENCE}') AS n)",
        f"new_ticket AS (INSERT INTO {quote(Ticket._meta.db_table)} ({quote('number')}, {_names(ticket_fields)}) "
        f"SELECT %s || lpad(seq.n::text, greatest(6, length(seq.n::text)), '0'), {ticket_sql} FROM seq "
        "RETURNING id, number)",
    ]
    params = [number_prefix, *params]
    timer_fields = _columns(Timer, skip=("ticket_id",))
    if timers:
        rows = []
        for timer in timers:
            row_sql, row_params = _row(timer, timer_fields)
            rows.append(f"({row_sql})")
            params.extend(row_params)
        aliases = ", ".join(f"c{index}" for index in range(len(timer_fields)))
        parts.append(
            f"new_timers AS (INSERT INTO {quote(Timer._meta.db_table)} (ticket_id, {_names(timer_fields)}) "
            f"SELECT new_ticket.id, v.* FROM new_ticket, (VALUES {', '.join(rows)}) AS v({aliases}) "
            "RETURNING id, metric_id)"
        )
    else:
        parts.append("new_timers AS (SELECT NULL::bigint AS id, NULL::bigint AS metric_id WHERE false)")
    event_fields = _columns(TicketEvent, skip=("ticket_id",))
    event_sql, event_params = _row(event, event_fields)
    parts.append(
        f"new_event AS (INSERT INTO {quote(TicketEvent._meta.db_table)} (ticket_id, {_names(event_fields)}) "
        f"SELECT new_ticket.id, {event_sql} FROM new_ticket RETURNING id)"
    )
    params.extend(event_params)
    sql = (
        f"WITH {', '.join(parts)} SELECT new_ticket.id, new_ticket.number, "
        "(SELECT coalesce(json_agg(json_build_array(id, metric_id)), '[]') FROM new_timers)::text, "
        "(SELECT id FROM new_event) FROM new_ticket"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
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
