"""Statements sent on every case opened, prepared once per database connection: PostgreSQL then plans each
once (a generic plan after its first few runs) instead of once per request, which cost more than running
them (a policy's lookup: 0.5 ms to plan, 0.04 ms to run).

A :class:`Statement` is SQL with ``%s`` or ``%(name)s`` placeholders, as for ``cursor.execute``. Its first
run on a connection sends ``PREPARE … ; EXECUTE …`` in one round trip, later runs ``EXECUTE`` alone; either
way one statement, returning what the SQL returns. A prepared statement lives as long as its connection (a
rollback keeps it) and a new connection prepares again. A statement counts as prepared on a connection only
once a first run went through (a failed one is prepared again, under another name, by the next); an EXECUTE
that finds it gone (another server session, a column type changed by a migration, a lost connection) fails
once and the next run prepares it again. ``DATABASE_PREPARED_STATEMENTS=false`` sends the plain SQL instead:
for a pooler that hands a client a different server connection per transaction (PgBouncer's transaction
mode), where a statement prepared on one would be missing on the next."""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django.db import connection as default_connection
from django.db.models.query import get_related_populators

_PLACEHOLDER = re.compile(r"%%|%\((\w+)\)s|%s|%")
_SENT = re.compile(r"^(?:PREPARE|EXECUTE) (as_[0-9a-f]{20})_\d+")
# Every statement made in this process, by key: what an EXECUTE of it stands for (``original``).
_made: dict[str, Statement] = {}
# What a failed EXECUTE means the statement is gone or unusable on that connection: "prepared statement does
# not exist" (a pooler gave another server session), "cached plan must not change result type" (a migration
# changed a column's type), and a lost connection. After any other failure the statement is still there.
_GONE = {"26000", "0A000", "08000", "08003", "08006"}


class Statement:
    """One SQL text, prepared per connection under a name derived from the text."""

    def __init__(self, sql: str):
        self.sql = sql
        self.key = "as_" + hashlib.sha1(sql.encode()).hexdigest()[:20]
        names: list[str] = []
        positional = itertools.count(1)
        styles = set()

        def number(match) -> str:
            token = match.group(0)
            if token == "%%":
                return token  # sent with the values, so the driver makes it ``%``
            if token == "%":
                raise ValueError(f"a lone % in a statement: {sql[:80]!r}")
            if match.group(1) is None:
                styles.add("positional")
                return f"${next(positional)}"
            styles.add("named")
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"

        self.body = _PLACEHOLDER.sub(number, sql)
        if len(styles) > 1:
            raise ValueError(f"a statement takes named or positional values, not both: {sql[:80]!r}")
        if "named" in styles:
            self.arguments = ", ".join(f"%({name})s" for name in names)
        else:
            self.arguments = ", ".join(["%s"] * (next(positional) - 1))
        _made[self.key] = self

    def sent(self, connection=default_connection) -> Run:
        """What to send on ``connection`` now (``Run.sql``); tell the run how it went."""
        if not getattr(settings, "DATABASE_PREPARED_STATEMENTS", True):
            return Run(self.sql)
        prepared, counter = _state(connection)
        name = prepared.get(self.key)
        first = name is None
        if first:
            # A name of its own for every attempt: a PREPARE that failed half-way never collides with the next.
            name = f"{self.key}_{next(counter)}"
        execute = f"EXECUTE {name}" + (f"({self.arguments})" if self.arguments else "")
        sql = f"PREPARE {name} AS {self.body}; {execute}" if first else execute
        return Run(sql, prepared=prepared, key=self.key, name=name, first=first)


class Run:
    """One run of a statement: recorded as prepared on the connection once a first run went through; an
    EXECUTE that found the statement gone forgets it, so the next run prepares it again."""

    def __init__(self, sql: str, *, prepared: dict | None = None, key: str = "", name: str = "", first=False):
        self.sql, self._prepared, self._key, self._name, self._first = sql, prepared, key, name, first

    def done(self) -> None:
        if self._prepared is not None and self._first:
            self._prepared[self._key] = self._name

    def failed(self, error: BaseException) -> None:
        if self._prepared is None or self._first:
            return  # nothing was recorded: the next run prepares under a new name
        cause = getattr(error, "__cause__", None) or error
        if isinstance(error, InterfaceError | OperationalError) or getattr(cause, "pgcode", None) in _GONE:
            self._prepared.pop(self._key, None)


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
    run = statement.sent(cursor.db)
    try:
        cursor.execute(run.sql, params)
    except BaseException as error:
        run.failed(error)
        raise
    run.done()


@contextmanager
def running(statement: Statement, connection=default_connection):
    """The SQL to send (for ``Model.objects.raw`` and the like, which execute it themselves) inside a block
    that runs it: recorded as prepared when the block ends well."""
    run = statement.sent(connection)
    try:
        yield run.sql
    except BaseException as error:
        run.failed(error)
        raise
    run.done()


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
        # What Django's own get() would honour and these rows would not.
        if (
            queryset._prefetch_related_lookups
            or queryset._known_related_objects
            or queryset._fields is not None
            or queryset.query.select_for_update
        ):
            raise ValueError("PreparedGet makes plain instances: no prefetch, values() or select_for_update()")
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
