"""Unit import of a generated 100,000-row CSV (BENCH_ROWS), with progress and resident memory printed while it
runs; the memory's growth from the first progress sample to the most it reached is recorded (flat: a few MB
whatever the number of rows), beside the process's peak.

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


def rss_mb() -> float:
    """This process's resident memory now (Linux), else its peak so far."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return peak_rss_mb()


def reset_peak() -> bool:
    """Starts the kernel's count of this process's peak resident memory afresh (Linux); False elsewhere."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def peak_since_reset_mb() -> float:
    """The peak resident memory since ``reset_peak`` (VmHWM), else the process's peak."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


IMPORT_PEAKS: list[float] = []
SETUP_PEAKS: list[float] = []


def watch(job_id: int, stop: threading.Event, samples: list) -> None:
    from django.db import connection

    from warranty.models import UnitImport

    while not stop.wait(2):
        job = UnitImport.objects.get(pk=job_id)
        samples.append((job.processed_rows, rss_mb()))
        print(
            f"  progress: {job.processed_rows:,}/{job.total_rows or 0:,} rows, {job.error_count} errors, "
            f"resident {samples[-1][1]:,.0f} MB",
            flush=True,
        )
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
    samples: list[tuple[int, float]] = []
    before = rss_mb()
    SETUP_PEAKS.append(peak_since_reset_mb())  # the kernel's peak is reset next (and with it ru_maxrss)
    reset_peak()  # the peak of the import itself, not of building the CSV or removing an earlier run's units
    watcher = threading.Thread(target=watch, args=(job.pk, stop, samples))
    watcher.start()
    started = time.perf_counter()
    job = unit_import_run(import_id=job.pk)
    elapsed = time.perf_counter() - started
    stop.set()
    watcher.join()
    after = rss_mb()
    IMPORT_PEAKS.append(peak_since_reset_mb())
    # Flat memory: what the process holds once the rows flow (the first sample) against the most it held
    # later and at the end; a growth with the rows shows as a rising last sample.
    during = [rss for rows, rss in samples if rows]
    first = during[0] if during else before
    highest = max([*during, after])
    record(
        f"unit import, {label}: memory growth while importing",
        highest - first,
        unit="MB",
        note=f"resident {before:,.0f} MB before, {first:,.0f} MB at the first progress sample, "
        f"{highest:,.0f} MB at most, {after:,.0f} MB after; {len(during)} samples",
    )
    print(
        f"{label:<18} resident memory: {before:,.0f} MB before, {first:,.0f} MB once rows flow, "
        f"{highest:,.0f} MB at most, {after:,.0f} MB after (growth {highest - first:+,.0f} MB over "
        f"{job.total_rows:,} rows); peak while importing {IMPORT_PEAKS[-1]:,.0f} MB",
        flush=True,
    )
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
    # The import's own peak (the kernel's high-water mark while it ran); the process's includes building the
    # CSV in memory and removing an earlier run's units through the ORM.
    record(
        "peak RSS, unit import",
        max(IMPORT_PEAKS),
        unit="MB",
        note=f"{ROWS:,} rows in the process, as a worker (set-up before it: {SETUP_PEAKS[0]:,.0f} MB at most)",
    )
    print(
        f"peak resident memory while importing {max(IMPORT_PEAKS):,.0f} MB "
        f"(building the CSV and removing an earlier run's units before: {SETUP_PEAKS[0]:,.0f} MB at most)"
    )
