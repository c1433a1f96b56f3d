"""Statements sent on every case opened, prepared once per database connection: PostgreSQL then plans each
once (a generic plan after its first few runs) instead of once per request, which cost more than running
them (a policy's lookup: 0.5 ms to plan, 0.04 ms to run).

A :class:`Statement` is SQL with ``%s`` or ``%(name)s`` placeholders, as for ``cursor.execute``. Its first
run on a connection sends ``PREPARE … ; EXECUTE …`` in one round trip, later runs ``EXECUTE`` alone; either
way one statement, returning what the SQL returns. A prepared statement lives as long as its connection (a
rollback keeps it) and a new connection prepares again. A run that fails forgets the statement on that
connection, and the next run prepares it afresh under another name, so a PREPARE that did not happen is never
relied on. ``DATABASE_PREPARED_STATEMENTS=false`` sends the plain SQL instead: for a pooler that hands a
client a different server connection per transaction (PgBouncer's transaction mode), where a statement
prepared on one would be missing on the next."""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from django.conf import settings
from django.db import connection as default_connection
from django.db import connections
from django.db.models.query import get_related_populators

_NAMED = re.compile(r"%\((\w+)\)s")
_POSITIONAL = re.compile(r"%s")
_SENT = re.compile(r"^(?:PREPARE|EXECUTE) (as_[0-9a-f]{20})_\d+")
# Every statement made in this process, by key: what an EXECUTE of it stands for (``original``).
_made: dict[str, Statement] = {}


class Statement:
    """One SQL text, prepared per connection under a name derived from the text."""

    def __init__(self, sql: str):
        self.sql = sql
        self.key = "as_" + hashlib.sha1(sql.encode()).hexdigest()[:20]
        names: list[str] = []
        if _NAMED.search(sql):

            def number(match) -> str:
                if match.group(1) not in names:
                    names.append(match.group(1))
                return f"${names.index(match.group(1)) + 1}"

            body = _NAMED.sub(number, sql)
            self.arguments = ", ".join(f"%({name})s" for name in names)
        else:
            counter = itertools.count(1)
            body = _POSITIONAL.sub(lambda match: f"${next(counter)}", sql)
            count = next(counter) - 1
            self.arguments = ", ".join(["%s"] * count)
        # ``%%`` stays as it is: the PREPARE is sent with the values, so the driver turns it into ``%``.
        self.body = body
        _made[self.key] = self

    def text(self, connection=default_connection) -> tuple[str, Callable[[], None]]:
        """The SQL to send on ``connection`` now, and what to call should running it fail."""
        if not getattr(settings, "DATABASE_PREPARED_STATEMENTS", True):
            return self.sql, lambda: None
        prepared, counter = _state(connection)
        name = prepared.get(self.key)
        execute = "EXECUTE {name}" + (f"({self.arguments})" if self.arguments else "")
        if name is None:
            name = f"{self.key}_{next(counter)}"
            prepared[self.key] = name
            sql = f"PREPARE {name} AS {self.body}; " + execute.format(name=name)
        else:
            sql = execute.format(name=name)

        def failed() -> None:
            prepared.pop(self.key, None)

        return sql, failed


def original(sent: str) -> str:
    """The SQL a sent ``PREPARE``/``EXECUTE`` of a statement stands for (any other SQL as it is): for
    reading what was sent, in logs and tests."""
    match = _SENT.match(sent)
    return _made[match.group(1)].sql if match and match.group(1) in _made else sent


def _state(connection) -> tuple[dict[str, str], Iterator[int]]:
    """The statements prepared on the connection's current server session (a new session: none)."""
    connection.ensure_connection()
    raw = connection.connection
    kept = getattr(connection, "_prepared_statements", None)
    if kept is None or kept[0] is not raw:
        kept = (raw, {}, itertools.count(1))
        connection._prepared_statements = kept
    return kept[1], kept[2]


def execute(cursor, statement: Statement, params: Sequence | Mapping = ()) -> None:
    """``cursor.execute`` of the statement, prepared on the cursor's connection."""
    sql, failed = statement.text(cursor.db)
    try:
        cursor.execute(sql, params)
    except Exception:
        failed()
        raise


@contextmanager
def running(statement: Statement, connection=default_connection):
    """The SQL to send (for ``Model.objects.raw`` and the like, which execute it themselves) inside a block
    that forgets the statement should the block fail."""
    sql, failed = statement.text(connection)
    try:
        yield sql
    except Exception:
        failed()
        raise


# Stands for the looked-up value while a query is compiled (a text no input can be: PostgreSQL text holds no NUL).
_VALUE = "\x00value\x00"


class PreparedGet:
    """``queryset.get(field=value)`` for a query of fixed shape — a lookup every case opened makes — compiled
    once per process for each ``key`` and prepared per connection (:class:`Statement`); the rows become
    instances as the ORM's own iteration makes them (``select_related`` objects, annotations). The caller's
    ``key`` must name everything the queryset's SQL depends on besides the value (which query, whose scope):
    a query compiled for one key is never used for another. At most ``size`` keys are kept."""

    def __init__(self, *, size: int = 64):
        self.size = size
        self._kept: dict = {}

    def get(self, key, queryset, field: str, value):
        """The one row, ``model.DoesNotExist`` when there is none (``MultipleObjectsReturned`` for two)."""
        compiled = self._kept.get(key)
        if compiled is None:
            compiled = self._compile(queryset.filter(**{field: _VALUE})[:2])
            if len(self._kept) >= self.size:
                self._kept.clear()
            self._kept[key] = compiled
        statement, compiler, slots, params = compiled
        values = list(params)
        for slot in slots:
            values[slot] = value
        db = connections[queryset.db]
        with db.cursor() as cursor:
            execute(cursor, statement, values)
            fetched = cursor.fetchall()
        found = list(self._instances(compiler, fetched, queryset.db))
        if not found:
            raise queryset.model.DoesNotExist(f"{queryset.model._meta.object_name} matching query does not exist.")
        if len(found) > 1:
            raise queryset.model.MultipleObjectsReturned(f"More than one {queryset.model._meta.object_name}.")
        return found[0]

    @staticmethod
    def _compile(queryset):
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()  # also sets the compiler's select, klass_info and annotation columns
        slots = [index for index, param in enumerate(params) if param == _VALUE]
        if len(slots) != 1:
            raise ValueError("PreparedGet needs a query that takes the value once as a parameter")
        return Statement(sql), compiler, slots, tuple(params)

    @staticmethod
    def _instances(compiler, fetched, db):
        """The instances of the rows, as ``ModelIterable`` makes them."""
        select, klass_info, annotations = compiler.select, compiler.klass_info, compiler.annotation_col_map
        model = klass_info["model"]
        first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        names = [column[0].target.attname for column in select[first:last]]
        populators = get_related_populators(klass_info, select, db)
        for row in compiler.results_iter(results=[fetched]):
            obj = model.from_db(db, names, row[first:last])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in (annotations or {}).items():
                setattr(obj, name, row[position])
            yield obj
