from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "beat:last-heartbeat"


@shared_task(name="aftersales.tasks.heartbeat", ignore_result=True)
def heartbeat():
    """Beat enqueues this, a worker runs it: the stored time shows the beat → broker → worker chain works."""
    cache.set(HEARTBEAT_KEY, timezone.now().isoformat(), timeout=None)


@shared_task(name="aftersales.outbox_relay", ignore_result=True)
def outbox_relay_task() -> int:
    """Beat runs this every OUTBOX_RELAY_SECONDS: publish what the broker missed, purge old sent rows."""
    from aftersales.outbox import outbox_purge, outbox_relay

    now = timezone.now()
    outbox_purge(now=now)
    return outbox_relay(now=now)
