"""A year of scheduled visits for 10,000 contracts (BENCH_CONTRACTS), generated twice: the second run must
create nothing. Prints both runs' times and visit counts."""

import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.results import peak_rss_mb, record
from bench.setup import django_setup

CONTRACTS = int(os.environ.get("BENCH_CONTRACTS", 10_000))


def main() -> None:
    django_setup()
    from django.utils import timezone

    from tickets.models import Visit, VisitPlan
    from tickets.services.visits import visits_generate
    from warranty.models import Customer, ServiceContract, WarrantyPolicy

    plan, _ = VisitPlan.objects.get_or_create(
        code="bench-plan",
        defaults={"name": "bench", "phone_per_year": 2, "onsite_per_year": 1, "first_within_months": 6},
    )
    policy, _ = WarrantyPolicy.objects.get_or_create(
        code="BENCH-CONTRACT", defaults={"name": "bench", "regime": "contract"}
    )
    customer, _ = Customer.objects.get_or_create(name="bench customer", defaults={"created_at": timezone.now()})
    have = ServiceContract.objects.filter(number__startswith="BENCH-").count()
    ServiceContract.objects.bulk_create(
        ServiceContract(
            number=f"BENCH-{n:07d}",
            customer=customer,
            policy=policy,
            starts_on=date(2026, 1, 1 + n % 28),
            ends_on=date(2027, 1, 1 + n % 28) - timedelta(days=1),
            visit_plan=plan.code,
            created_at=timezone.now(),
        )
        for n in range(have, CONTRACTS)
    )
    Visit.objects.filter(plan=plan).delete()
    for label in ("first run", "second run"):
        started = time.perf_counter()
        created = visits_generate(today=date(2026, 1, 1), horizon_days=400)
        elapsed = time.perf_counter() - started
        record(
            f"visit generation, {label}", elapsed * 1000, note=f"{CONTRACTS:,} contracts, {created:,} visits created"
        )
        print(
            f"{label:<11} contracts={CONTRACTS:,}  visits created={created:,}  "
            f"visits in all={Visit.objects.filter(plan=plan).count():,}  {elapsed:5.1f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
    record("peak RSS, visit generation", peak_rss_mb(), unit="MB", note="the process running the job as a worker would")
