"""Unit import of a generated 100,000-row CSV (BENCH_ROWS), with progress printed while it runs.

Runs the import service in this process (as a worker would) in the ``aftersales_bench`` database; a second
thread reads the job's progress from the database every two seconds, as the progress page does. Then the
same file is imported again, which must create nothing.
"""

import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.results import peak_rss_mb, record
from bench.setup import django_setup

ROWS = int(os.environ.get("BENCH_ROWS", 100_000))


def make_csv(model_code: str) -> bytes:
    lines = ["serial,model,customer,phone,address,city,dealer,invoice_date,price,usage"]
    for index in range(ROWS):
        if index % 1000 == 999:
            lines.append(f"IMPBAD{index},NO-SUCH-MODEL,,,,,,2026-02-30,abc,")  # one bad row in a thousand
        else:
            lines.append(
                f"IMP{index:09d},{model_code},客户{index % 20000},139{index % 20000:08d},"
                f"地址{index % 5000},上海,,2026-01-{index % 28 + 1:02d},{1000 + index % 500},{index % 9000}"
            )
    return ("\n".join(lines) + "\n").encode()


def watch(job_id: int, stop: threading.Event) -> None:
    from django.db import connection

    from warranty.models import UnitImport

    while not stop.wait(2):
        job = UnitImport.objects.get(pk=job_id)
        print(f"  progress: {job.processed_rows:,}/{job.total_rows or 0:,} rows, {job.error_count} errors", flush=True)
    connection.close()


def run_once(user, content: bytes, label: str):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from warranty.models import UnitImport
    from warranty.services.imports import unit_import_run

    # The job row as the upload creates it; this process then runs it as a worker would (no broker involved).
    job = UnitImport.objects.create(
        file=SimpleUploadedFile("bench.csv", content),
        original_name="bench.csv",
        uploaded_by=user,
        created_at=timezone.now(),
    )
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(job.pk, stop))
    watcher.start()
    started = time.perf_counter()
    job = unit_import_run(import_id=job.pk)
    elapsed = time.perf_counter() - started
    stop.set()
    watcher.join()
    record(
        f"unit import, {label}", elapsed * 1000, note=f"{job.total_rows:,} rows, {job.total_rows / elapsed:,.0f} rows/s"
    )
    print(
        f"{label:<18} rows={job.total_rows:,}  created={job.created_count:,}  unchanged={job.unchanged_count:,}  "
        f"errors={job.error_count:,}  {elapsed:6.1f} s  ({job.total_rows / elapsed:,.0f} rows/s)",
        flush=True,
    )
    return job


def main() -> None:
    django_setup()
    from aftersales.demo import seed_users
    from aftersales.models import User
    from warranty.models import ProductLine, ProductModel, Unit

    seed_users()
    line, _created = ProductLine.objects.get_or_create(code="BENCH", defaults={"name": "bench"})
    model, _created = ProductModel.objects.get_or_create(
        code="BENCH-IMPORT", defaults={"product_line": line, "name": "bench import"}
    )
    from warranty.models import RepairRecord

    RepairRecord.objects.filter(unit__product_model=model).delete()
    deleted = Unit.objects.filter(product_model=model).delete()[0]
    if deleted:
        print(f"removed {deleted:,} units of an earlier run", flush=True)
    content = make_csv(model.code)
    admin = User.objects.get(username="admin")
    run_once(admin, content, "first import")
    run_once(admin, content, "same file again")


if __name__ == "__main__":
    main()
    record("peak RSS, unit import", peak_rss_mb(), unit="MB", note=f"{ROWS:,} rows in the process, as a worker")
