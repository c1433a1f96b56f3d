from celery import shared_task
from django.utils import timezone

from warranty.services.imports import unit_import_run, unit_imports_requeue


@shared_task(name="warranty.unit_import_run", ignore_result=True)
def unit_import_run_task(import_id: int) -> None:
    unit_import_run(import_id=import_id)


@shared_task(name="warranty.unit_imports_requeue", ignore_result=True)
def unit_imports_requeue_task() -> int:
    """Beat: queue again the import jobs left pending or running (lost message, dead worker)."""
    return unit_imports_requeue(now=timezone.now())
