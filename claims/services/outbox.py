"""The one place the claims app hands work to Celery: through the product's transactional outbox, so a
change that rolls back sends nothing and a broker outage loses nothing."""

from __future__ import annotations

from aftersales.outbox import outbox_enqueue


def enqueue(task, *args, **kwargs) -> None:
    outbox_enqueue(task, *args, **kwargs)
