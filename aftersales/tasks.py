from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "beat:last-heartbeat"


@shared_task(name="aftersales.tasks.heartbeat", ignore_result=True)
def heartbeat():
    """Beat enqueues this, a worker runs it: the stored time shows the beat → broker → worker chain works."""
    cache.set(HEARTBEAT_KEY, timezone.now().isoformat(), timeout=None)
