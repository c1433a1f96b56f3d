"""The one place the claims app hands work to Celery: after the transaction commits, so nothing is sent for
a change that rolled back. (A transactional outbox can replace this function alone.)"""

from __future__ import annotations

from django.db import transaction


def enqueue(task, *args, **kwargs) -> None:
    transaction.on_commit(lambda: task.delay(*args, **kwargs))
