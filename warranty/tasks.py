from celery import shared_task

from warranty.services.imports import unit_import_run


@shared_task(name="warranty.unit_import_run", ignore_result=True)
def unit_import_run_task(import_id: int) -> None:
    unit_import_run(import_id=import_id)
