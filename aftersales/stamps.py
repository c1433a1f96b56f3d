"""Values kept per web process under a database stamp: a one-row table whose random value statement
triggers replace on every write to the tables the values are read from (the migrations that create each
stamp), so that an edit by any path — the admin, a service, a shell, a bulk update — makes the next reader
read again. A stamp seen once is never seen again for other contents; without a stamp row nothing is kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.db.models.expressions import RawSQL

# Sentinel for "the caller did not read the stamp": read it here (a query of its own).
UNREAD: Any = ...


class StampedCache:
    """Per-process values by key, each valid while the stamp of ``table`` is the one it was read under."""

    def __init__(self, table: str, *, size: int = 256):
        self.sql = f"SELECT stamp FROM {table} WHERE id = 1"
        # The stamp as a column of the query that reads the keyed row: ``.annotate(stamp=cache.column)``.
        self.column = RawSQL(self.sql, ())
        self.size = size
        self._kept: dict = {}

    def current(self) -> str | None:
        with connection.cursor() as cursor:
            cursor.execute(self.sql)
            row = cursor.fetchone()
        return None if row is None else str(row[0])

    def get(self, key, stamp, read: Callable[[], Any], *, still: Callable[[Any], bool] = lambda value: True):
        """The value kept for ``key`` if it was read under ``stamp`` (read with the row, or ``UNREAD``) and
        ``still(value)`` holds, else ``read()`` — kept when there is a stamp. Past ``size`` keys all are
        dropped. Kept values are shared between requests: read them, never change them."""
        if stamp is UNREAD:
            stamp = self.current()
        stamp = None if stamp is None else str(stamp)
        kept = self._kept.get(key)
        if kept is not None and stamp is not None and kept[0] == stamp and still(kept[1]):
            return kept[1]
        value = read()
        if stamp is not None:
            if len(self._kept) >= self.size:
                self._kept.clear()
            self._kept[key] = (stamp, value)
        return value

    def forget(self) -> None:
        """Drop what this process keeps (tests that compare with a fresh read)."""
        self._kept.clear()
