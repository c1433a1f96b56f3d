"""Coverage and entitlement latency against 1,000,000 registered units (BENCH_UNITS to change the size).

Builds the data once in the ``aftersales_bench`` database (reused on the next run), then times full HTTP
requests through Django's test client: GET /api/v1/units/{serial}/coverage/ and
POST /api/v1/entitlement/evaluate/ for random units, and prints median and p99 latency per call.
"""

import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.results import record, summary
from bench.setup import django_setup, timed

UNITS = int(os.environ.get("BENCH_UNITS", 1_000_000))
CALLS = int(os.environ.get("BENCH_CALLS", 2000))


def build() -> None:
    from django.db import connection
    from django.utils import timezone

    from aftersales.demo import seed_users
    from warranty.models import ProductLine, ProductModel, Unit, WarrantyPolicy
    from warranty.tests.factories import version_from_preset

    seed_users()
    if not WarrantyPolicy.objects.filter(code="BENCH-CAR").exists():
        policy = WarrantyPolicy.objects.create(code="BENCH-CAR", name="bench car", regime="car_2021")
        version_from_preset(policy, "car_2021")
        line, _created = ProductLine.objects.get_or_create(code="BENCH", defaults={"name": "bench"})
        ProductModel.objects.create(product_line=line, code="BENCH-M", name="bench", policy=policy)
    model = ProductModel.objects.get(code="BENCH-M")
    have = Unit.objects.filter(serial__startswith="BENCH").count()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Set-based insert: units with invoice dates spread over six years, every tenth with three repairs.
        cursor.execute(
            """
            INSERT INTO warranty_unit (serial, product_model_id, invoice_date, delivery_date, price, usage_reading,
                                       registered_at, registered_late, version)
            SELECT 'BENCH' || lpad(n::text, 9, '0'), %s, d, d, 150000, (n %% 90000), %s, false, 1
            FROM (SELECT n, current_date - (n %% 2190) AS d FROM generate_series(%s, %s) AS n) AS s
            """,
            [model.pk, timezone.now(), have + 1, UNITS],
        ) if have < UNITS else None
        cursor.execute(
            """
            INSERT INTO warranty_repairrecord (unit_id, source, confirmed_at, completed_at, usage, problem_code,
                quality_problem, serious_safety, component, assemblies_replaced, main_parts_replaced,
                excluded_hours, parts_wait_hours, parts_wait_party, fault_description, inspection_result,
                repair_items, replaced_parts, material_cost, labour_cost, towing, substitute_unit,
                customer_signature, repairer_signature, created_at)
            SELECT u.id, 'manual', u.invoice_date + k * 30, u.invoice_date + k * 30 + interval '20 hours',
                   k * 1000, 'P' || k, true, false, '', '{}', '[]', 0, 0, '', '', '', '', '[]', 0, 0, '', '', '',
                   '', now()
            FROM warranty_unit u CROSS JOIN generate_series(1, 3) AS k
            WHERE u.id % 10 = 0 AND u.serial LIKE 'BENCH%'
              AND u.id > (SELECT coalesce(max(unit_id), 0) FROM warranty_repairrecord)
            """
        )
        cursor.execute("ANALYZE warranty_unit; ANALYZE warranty_repairrecord;")
    print(f"{Unit.objects.count():,} units ready ({time.perf_counter() - started:.1f} s)", flush=True)


def main() -> None:
    django_setup()
    build()
    from django.test import Client
    from django.utils import timezone

    from aftersales.models import User

    client = Client()
    client.force_login(User.objects.get(username="desk"))
    rng = random.Random(7)
    serials = [f"BENCH{rng.randint(1, UNITS):09d}" for _ in range(CALLS)]
    today = timezone.localdate().isoformat()

    def coverage(index):
        response = client.get(f"/api/v1/units/{serials[index]}/coverage/", {"usage": 20000})
        assert response.status_code == 200, response.content

    def entitlement(index):
        response = client.post(
            "/api/v1/entitlement/evaluate/",
            {
                "unit": serials[index],
                "claim_date": today,
                "usage": 20000,
                "fault": {"problem_code": "P1", "still_unusable": True},
            },
            content_type="application/json",
        )
        assert response.status_code == 200, response.content

    print(f"units: {UNITS:,}", flush=True)
    figure = summary(timed("GET coverage", CALLS, coverage))
    record("in-process GET coverage", figure["p50"], p99=round(figure["p99"], 2), note=f"{UNITS:,} units, test client")
    figure = summary(timed("POST entitlement/evaluate", CALLS, entitlement))
    record("in-process POST entitlement", figure["p50"], p99=round(figure["p99"], 2), note="test client")


if __name__ == "__main__":
    main()
