"""Every benchmark at one scale, one table: ``python -m bench --scale small`` (``make bench SCALE=small``).

1. ``manage.py generate_data`` fills ``BENCH_DATABASE`` (default ``aftersales_bench_<scale>``; reused when
   it holds the generated cases already; skipped when only scripts with databases of their own are named, so
   ``python -m bench --scale 1m bench_dashboards`` loads just the dashboards' cases);
2. each ``bench_*.py`` runs in its own process with its sizes set by the scale (``bench_sweep`` and
   ``bench_dashboards`` in databases of their own, ``<database>_sweep`` / ``<database>_dash``, as they build
   their own cases), each figure recorded beside its floor measured in the same run;
3. prints one table (figure, value, floor, ratio, target) and writes it as JSON to ``bench/out/``.

``BENCH_DROP=1`` drops the benchmark databases at the end. Scales are below; any ``BENCH_*`` variable set in
the environment wins over the scale's value.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
BASE_DIR = BENCH_DIR.parent
SCALES: dict[str, dict[str, str]] = {
    # A few minutes on a laptop: checks that everything runs and shows the ratios' order of magnitude.
    "small": {
        "BENCH_UNITS": "20000",
        "BENCH_TICKETS": "10000",
        "BENCH_DEALERS": "50",
        "BENCH_CLAIMS": "2000",
        "BENCH_SUBMISSIONS": "50",
        "BENCH_CALLS": "200",
        "BENCH_SWEEP_SIZES": "2000,10000",
        "BENCH_DASHBOARD_CASES": "10000",
        "BENCH_CONTRACTS": "1000",
        "BENCH_ROWS": "5000",
        "BENCH_HTTP_REQUESTS": "200",
    },
    "100k": {
        "BENCH_UNITS": "200000",
        "BENCH_TICKETS": "100000",
        "BENCH_DEALERS": "500",
        "BENCH_CLAIMS": "20000",
        "BENCH_SUBMISSIONS": "200",
        "BENCH_CALLS": "500",
        "BENCH_SWEEP_SIZES": "10000,100000",
        "BENCH_DASHBOARD_CASES": "100000",
        "BENCH_CONTRACTS": "10000",
        "BENCH_ROWS": "100000",
        "BENCH_HTTP_REQUESTS": "300",
    },
    "1m": {
        "BENCH_UNITS": "1000000",
        "BENCH_TICKETS": "1000000",
        "BENCH_DEALERS": "1000",
        "BENCH_CLAIMS": "100000",
        "BENCH_SUBMISSIONS": "500",
        "BENCH_CALLS": "2000",
        "BENCH_SWEEP_SIZES": "10000,100000,1000000",
        "BENCH_DASHBOARD_CASES": "1000000",
        "BENCH_CONTRACTS": "10000",
        "BENCH_ROWS": "100000",
        "BENCH_HTTP_REQUESTS": "500",
    },
    # 3,000,000 units and 100,000 claims beside the 10,000,000 cases: generated in about 40 minutes into 30 GB
    # on 2 shared cores (the earlier 5,000,000 units and 1,000,000 claims: about 2.5 GB more).
    "10m": {
        "BENCH_UNITS": "3000000",
        "BENCH_TICKETS": "10000000",
        "BENCH_DEALERS": "3000",
        "BENCH_CLAIMS": "100000",
        "BENCH_SUBMISSIONS": "500",
        "BENCH_CALLS": "2000",
        "BENCH_SWEEP_SIZES": "10000,1000000,10000000",
        "BENCH_DASHBOARD_CASES": "1000000",
        "BENCH_CONTRACTS": "10000",
        "BENCH_ROWS": "100000",
        "BENCH_HTTP_REQUESTS": "500",
    },
}
# In this order: the HTTP figures first, on the freshly generated data.
SCRIPTS = ["bench_http", "bench_plans", "bench_coverage", "bench_claims", "bench_sweep", "bench_visits", "bench_import"]
SCRIPTS += ["bench_dashboards"]
OWN_DATABASE = {"bench_sweep": "_sweep", "bench_dashboards": "_dash"}


def generate(env: dict[str, str]) -> None:
    code = (
        "from tickets.models import Ticket; import sys; "
        "sys.exit(0 if Ticket.objects.filter(number__startswith='GT').exists() else 1)"
    )
    script = (
        "import os, sys; sys.path.insert(0, os.getcwd()); from bench.setup import django_setup; django_setup(); " + code
    )
    if subprocess.run([sys.executable, "-c", script], cwd=BASE_DIR, env=env).returncode == 0:
        print(f"{env['BENCH_DATABASE']}: generated data found, reused", flush=True)
        return
    print(f"generating the data set into {env['BENCH_DATABASE']} …", flush=True)
    generate_script = (
        "import os, sys; sys.path.insert(0, os.getcwd()); from bench.setup import django_setup; django_setup(); "
        "from django.core.management import call_command; "
        "call_command('generate_data', units=int(os.environ['BENCH_UNITS']), tickets=int(os.environ['BENCH_TICKETS']), "
        "dealers=int(os.environ['BENCH_DEALERS']), claims=int(os.environ['BENCH_CLAIMS']), seed=1)"
    )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", generate_script], cwd=BASE_DIR, env=env, check=True)
    print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)


def drop(env: dict[str, str], names: list[str]) -> None:
    script = (
        "import os, sys; sys.path.insert(0, os.getcwd()); os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
        "'aftersales.settings.test'); from django.conf import settings; import psycopg2; "
        "db = settings.DATABASES['default']; c = psycopg2.connect(dbname='postgres', user=db['USER'], "
        "password=db.get('PASSWORD') or None, host=db.get('HOST') or None, port=db.get('PORT') or None); "
        "c.autocommit = True; cur = c.cursor(); "
        "[cur.execute(f'DROP DATABASE IF EXISTS \"{n}\"') for n in sys.argv[1:]]"
    )
    subprocess.run([sys.executable, "-c", script, *names], cwd=BASE_DIR, env=env, check=True)
    print(f"dropped {', '.join(names)}", flush=True)


def fmt(value, unit="") -> str:
    if value is None:
        return "—"
    if isinstance(value, float | int):
        return f"{value:,.1f}{unit}" if abs(value) < 10_000 else f"{value:,.0f}{unit}"
    return str(value)


def table(rows: list[dict]) -> str:
    header = ["figure", "p50 / value", "floor", "ratio", "target", "p99", "p99 ratio", "req/s", "errors"]
    lines = []
    for row in rows:
        unit = {"MB": " MB", "ms": " ms"}.get(row.get("unit"), "")
        ratio = row.get("ratio")
        target = row.get("target")
        mark = "" if ratio is None or target is None else (" ✓" if ratio <= target else " ✗")
        lines.append(
            [
                row["figure"],
                fmt(row["value"], unit),
                fmt(row.get("floor"), unit),
                "—" if ratio is None else f"{ratio:.2f}×{mark}",
                "—" if target is None else f"≤ {target}×",
                fmt(row.get("p99"), " ms") if "p99" in row else "",
                "—"
                if row.get("ratio_p99") is None
                else f"{row['ratio_p99']:.2f}×"
                + ("" if row.get("target_p99") is None else f" (≤ {row['target_p99']}×)"),
                fmt(row.get("rps")) if "rps" in row else "",
                (
                    f"{row['errors']}/{row['requests']}"
                    + (" ✗" if row["requests"] and row["errors"] / row["requests"] > 0.01 else "")
                )
                if "errors" in row
                else "",
            ]
        )
    widths = [max(len(str(item)) for item in column) for column in zip(header, *lines, strict=False)]
    out = [
        " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=False)),
        "-+-".join("-" * w for w in widths),
    ]
    out += [" | ".join(str(item).ljust(w) for item, w in zip(line, widths, strict=False)) for line in lines]
    return "\n".join(out)


def run(scale: str, only: list[str]) -> int:
    if scale not in SCALES:
        print(f"unknown scale {scale!r}; one of {', '.join(SCALES)}", file=sys.stderr)
        return 2
    env = {**os.environ}
    env.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings.test")
    for name, value in SCALES[scale].items():
        env.setdefault(name, value)
    database = env.setdefault("BENCH_DATABASE", f"aftersales_bench_{scale}")
    env.setdefault("BENCH_SCALE", scale)  # names bench_plans' files
    if not env.get("DATABASE_URL"):
        # The embedded server, started once by this process and shared by every script.
        from aftersales import embedded

        env["DATABASE_URL"] = embedded.postgres_url()
        env.setdefault("REDIS_URL", embedded.redis_url())
    started_at = datetime.now(UTC)
    results = Path(tempfile.mkstemp(prefix="bench-", suffix=".jsonl")[1])
    env["BENCH_RESULTS"] = str(results)
    scripts = [s for s in SCRIPTS if not only or s in only]
    if any(script not in OWN_DATABASE for script in scripts):
        generate(env)  # the scripts with databases of their own load their own data: none to generate for them
    failed = []
    for script in scripts:
        print(f"== {script}", flush=True)
        script_env = {**env}
        if script in OWN_DATABASE:
            script_env["BENCH_DATABASE"] = database + OWN_DATABASE[script]
        started = time.perf_counter()
        code = subprocess.run([sys.executable, str(BENCH_DIR / f"{script}.py")], cwd=BASE_DIR, env=script_env)
        print(f"== {script}: {time.perf_counter() - started:.0f} s", flush=True)
        if code.returncode:
            failed.append(script)
    rows = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines() if line.strip()]
    results.unlink()
    print()
    sizes = ", ".join(f"{k[6:].lower()}={env[k]}" for k in ("BENCH_UNITS", "BENCH_TICKETS", "BENCH_CLAIMS"))
    machine = f"{platform.node()} ({os.cpu_count()} cores, {platform.machine()})"
    print(f"Benchmarks at scale {scale!r} ({sizes}), {started_at:%Y-%m-%d %H:%M} UTC, {machine}")
    print(table(rows))
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    out = BENCH_DIR / "out"
    out.mkdir(exist_ok=True)
    path = out / f"bench-{scale}-{started_at:%Y%m%dT%H%M%S}.json"
    path.write_text(
        json.dumps(
            {
                "scale": scale,
                "sizes": SCALES[scale],
                "started_at": started_at.isoformat(),
                "machine": {"node": platform.node(), "cores": os.cpu_count(), "platform": platform.platform()},
                "failed": failed,
                "figures": rows,
            },
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    print(f"\nwritten to {path.relative_to(BASE_DIR)}")
    if env.get("BENCH_DROP") == "1":
        drop(env, [database, *(database + suffix for suffix in OWN_DATABASE.values())])
    return 1 if failed else 0
