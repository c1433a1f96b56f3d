"""Reads that may go to a read replica (``DATABASE_REPLICA_URL``): the dashboards and the exports.

Only code that opts in reads from the replica (``replica_reads`` / ``@use_replica``): everything else reads
and writes the primary, so a page shown after a change always sees it. Without a replica configured the
router answers nothing and Django uses the primary. The replica is never migrated (it follows the primary).
"""

from __future__ import annotations

import contextvars
import functools
from contextlib import contextmanager

from django.conf import settings

REPLICA = "replica"
_reading_replica: contextvars.ContextVar[bool] = contextvars.ContextVar("reading_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def replica_reads():
    """Inside, the ORM's reads go to the replica when one is configured."""
    token = _reading_replica.set(True)
    try:
        yield
    finally:
        _reading_replica.reset(token)


def use_replica(view):
    """A view (function or method) whose reads may come from the replica: figures and exports only."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        with replica_reads():
            return view(*args, **kwargs)

    return wrapped


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _reading_replica.get() and replica_configured():
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
