"""Claim submission with its automatic checks against 1,000,000 units and 100,000 earlier claims, and the
reviewers' queue at 100,000 open claims.

Builds the data once in the benchmark database (``aftersales_bench``, or ``BENCH_DATABASE``; reused on the
next run): the units (``BENCH_UNITS``) sold by 1,000 dealers, and ``BENCH_CLAIMS`` earlier claims waiting for
review. Then, through Django's test client as a dealer's staff member, it times ``BENCH_SUBMISSIONS``
``POST /api/v1/claims/`` that create and submit a claim (three lines, an ``Idempotency-Key``, every automatic
check: registration, coverage, the entitlement engine, flat-rate hours, price list, duplicates, deadline,
documents), and beside them the floor measured in the same run: the same request to a view that does
nothing. Last, the reviewers' queue: its latency and its query plan, which must not scan the table.
"""

import os
import sys
import time
import types
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.results import record, summary
from bench.setup import _create_database, timed

UNITS = int(os.environ.get("BENCH_UNITS", 1_000_000))
CLAIMS = int(os.environ.get("BENCH_CLAIMS", 100_000))
SUBMISSIONS = int(os.environ.get("BENCH_SUBMISSIONS", 500))
DEALERS = 1000


def django_setup() -> None:
    import warnings

    warnings.filterwarnings("ignore", message="No directory at")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings.test")
    from django.conf import settings

    settings.DATABASES  # noqa: B018 - loads the settings (and starts embedded servers when unconfigured)
    settings.DATABASES["default"]["NAME"] = os.environ.get("BENCH_DATABASE", "aftersales_bench")
    settings.DATABASES["default"]["ATOMIC_REQUESTS"] = True
    _create_database(settings.DATABASES["default"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build():
    """Dealers, units, the catalogue the checks need, and the earlier claims — set-based, reused."""
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.utils import timezone

    from aftersales.demo import seed_users
    from aftersales.models import User
    from aftersales.roles import Role
    from claims import defaults
    from claims.models import Claim, ClaimProgramme, ClaimType, FlatRate, LabourOperation
    from dealers.models import Dealer, DealerMember
    from warranty.models import PartPrice, ProductLine, ProductModel, Unit, WarrantyPolicy
    from warranty.tests.factories import version_from_preset

    seed_users()
    defaults.install_now()
    started = time.perf_counter()
    if not WarrantyPolicy.objects.filter(code="BENCH-CAR").exists():
        policy = WarrantyPolicy.objects.create(code="BENCH-CAR", name="bench car", regime="car_2021")
        version_from_preset(policy, "car_2021")
        line, _created = ProductLine.objects.get_or_create(code="BENCH", defaults={"name": "bench"})
        ProductModel.objects.create(product_line=line, code="BENCH-M", name="bench", policy=policy)
    model = ProductModel.objects.get(code="BENCH-M")
    Dealer.objects.bulk_create(
        [Dealer(code=f"BD{n:04d}", name=f"bench dealer {n}", labour_rate=80) for n in range(DEALERS)],
        ignore_conflicts=True,
    )
    dealer_ids = list(Dealer.objects.filter(code__startswith="BD").order_by("code").values_list("pk", flat=True))
    first_dealer = dealer_ids[0]
    operation, _created = LabourOperation.objects.get_or_create(code="BENCH-OP", defaults={"description": "bench"})
    FlatRate.objects.get_or_create(operation=operation, product_model=model, defaults={"hours": 2})
    PartPrice.objects.get_or_create(
        part_number="BENCH-PART", valid_from="2015-01-01", defaults={"name": "bench part", "price": 500}
    )
    now = timezone.now()
    with connection.cursor() as cursor:
        have = Unit.objects.filter(serial__startswith="BENCH").count()
        if have < UNITS:
            # The same serials as bench_coverage, so both benchmarks share the million units.
            cursor.execute(
                """
                INSERT INTO warranty_unit (serial, product_model_id, invoice_date, delivery_date, price,
                                           usage_reading, registered_at, registered_late, version)
                SELECT 'BENCH' || lpad(n::text, 9, '0'), %s, d, d, 150000, (n %% 90000), %s, false, 1
                FROM (SELECT n, current_date - (n %% 2190) AS d FROM generate_series(%s, %s) AS n) AS s
                ON CONFLICT (serial) DO NOTHING
                """,
                [model.pk, now, have + 1, UNITS],
            )
        # Every bench unit is sold by one of the dealers, and registered in time.
        cursor.execute(
            """
            UPDATE warranty_unit SET selling_dealer_id = (%s::bigint[])[(id %% %s) + 1],
                   registered_at = invoice_date + interval '2 days'
            WHERE serial LIKE 'BENCH%%' AND selling_dealer_id IS NULL
            """,
            [dealer_ids, len(dealer_ids)],
        )
        have_claims = Claim.objects.filter(number__startswith="BCL").count()
        if have_claims < CLAIMS:
            programme = ClaimProgramme.objects.get(code="general").pk
            claim_type = ClaimType.objects.get(code="repair").pk
            staff = User.objects.get(username="dealer").pk
            cursor.execute(
                """
                INSERT INTO claims_claim (number, dealer_id, unit_id, programme_id, claim_type_id, status,
                    problem_code, fault_description, fault_date, component, serious_safety, repair_agreed_at,
                    repair_completed_at, usage, claimed_total, approved_total, failed_checks, submission_count,
                    submitted_at, last_submitted_at, review_due_at, appeal_count, appeal_reason, spot_check,
                    created_by_id, created_at, updated_at, version)
                SELECT 'BCL' || lpad(n::text, 9, '0'), u.selling_dealer_id, u.id, %(programme)s, %(type)s,
                       'submitted', 'P' || (n %% 50), 'bench', s.at::date, '', false, s.at, s.at + interval '3 hours',
                       1000, 100, 0, CASE WHEN n %% 7 = 0 THEN '{labour_hours}'::varchar[] ELSE '{}' END, 1,
                       s.at, s.at, s.at + interval '30 days', 0, '', false, %(staff)s, s.at, s.at, 1
                FROM (SELECT n, %(now)s::timestamptz - (n %% 40) * interval '1 day' AS at,
                             'BENCH' || lpad(((n * 7919) %% %(units)s + 1)::text, 9, '0') AS serial
                      FROM generate_series(%(start)s, %(end)s) AS n) AS s
                JOIN warranty_unit u ON u.serial = s.serial
                """,
                {
                    "programme": programme,
                    "type": claim_type,
                    "staff": staff,
                    "now": now,
                    "units": UNITS,
                    "start": have_claims + 1,
                    "end": CLAIMS,
                },
            )
            cursor.execute(
                """
                INSERT INTO claims_claimline (claim_id, position, kind, description, return_required, old_part_serial,
                    cost_kind, claimed_amount, decision, decision_note, appealed, part_number, part_name)
                SELECT c.id, 1, 'other', 'bench', false, '', 'towing', 100, 'pending', '', false, '', ''
                FROM claims_claim c
                WHERE c.number LIKE 'BCL%%' AND NOT EXISTS (SELECT 1 FROM claims_claimline l WHERE l.claim_id = c.id)
                """
            )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE claims_claim")
        cursor.execute("VACUUM ANALYZE claims_claimline")
        cursor.execute("ANALYZE warranty_unit")
    staff, created = User.objects.get_or_create(username="bench_dealer")
    if created:
        staff.groups.add(Group.objects.get(name=Role.DEALER_STAFF))
        DealerMember.objects.create(user=staff, dealer_id=first_dealer)
    print(
        f"{Unit.objects.count():,} units, {Claim.objects.count():,} claims "
        f"({Claim.objects.filter(status__in=['submitted', 'appealed']).count():,} open) "
        f"ready ({time.perf_counter() - started:.1f} s)",
        flush=True,
    )
    return staff, first_dealer


def noop_urlconf() -> str:
    """The product's URLconf plus a view that does nothing (the floor), under the same API settings."""
    from django.urls import path
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from aftersales import urls as product_urls

    class Nothing(APIView):
        def post(self, request):
            return Response({}, status=201)

    module = types.ModuleType("bench_claims_urls")
    module.urlpatterns = [path("bench/nothing/", Nothing.as_view()), *product_urls.urlpatterns]
    module.handler404 = product_urls.handler404
    module.handler500 = product_urls.handler500
    sys.modules[module.__name__] = module
    return module.__name__


def main() -> None:
    django_setup()
    staff, dealer_id = build()
    from django.test import Client, override_settings
    from django.utils import timezone

    from aftersales.models import User
    from claims.selectors import review_queue
    from warranty.models import Unit

    serials = list(Unit.objects.filter(selling_dealer_id=dealer_id).values_list("serial", flat=True)[:SUBMISSIONS])
    at = timezone.localtime() - timezone.timedelta(days=2)

    def body(index):
        return {
            "unit": serials[index % len(serials)],
            "claim_type": "repair",
            "problem_code": f"P{index % 50}",
            "fault_description": "bench",
            "fault_date": at.date().isoformat(),
            "repair_agreed_at": at.isoformat(),
            "repair_completed_at": (at + timezone.timedelta(hours=3)).isoformat(),
            "usage": 20000,
            "submit": True,
            "lines": [
                {"kind": "labour", "operation": "BENCH-OP", "hours": "1.50"},
                {"kind": "part", "part_number": "BENCH-PART", "quantity": "1"},
                {"kind": "other", "cost_kind": "towing", "amount": "120.00"},
            ],
        }

    client = Client()
    client.force_login(staff)
    with override_settings(ROOT_URLCONF=noop_urlconf()):

        def nothing(index):
            response = client.post(
                "/bench/nothing/", body(index), content_type="application/json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex
            )
            assert response.status_code == 201, response.content

        def submit(index):
            response = client.post(
                "/api/v1/claims/", body(index), content_type="application/json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex
            )
            assert response.status_code == 201, response.content
            assert response.json()["status"] == "submitted"

        print(f"units: {Unit.objects.count():,}; submissions: {SUBMISSIONS}", flush=True)
        nothing(0)  # warm up both paths once
        submit(0)
        floor = summary(timed("POST floor (a view that does nothing)", SUBMISSIONS, nothing))
        figure = summary(timed("POST /api/v1/claims/ (submit + checks)", SUBMISSIONS, submit))
        record(
            "claim submission with every check",
            figure["p50"],
            floor=floor["p50"],
            p99=round(figure["p99"], 2),
            note=f"{Unit.objects.count():,} units, {CLAIMS:,} earlier claims; test client",
        )

    reviewer = User.objects.get(username="reviewer")
    queue_client = Client()
    queue_client.force_login(reviewer)

    def queue(index):
        response = queue_client.get("/api/v1/claims/queue/", {"check": "passed"} if index % 2 else {})
        assert response.status_code == 200 and len(response.json()["results"]) == 50, response.content

    figure = summary(timed("GET /api/v1/claims/queue/", 200, queue))
    record("claims review queue API", figure["p50"], p99=round(figure["p99"], 2), note="test client")
    plans = {
        "queue": review_queue(user=reviewer)[:51].explain(),
        "queue, one dealer": review_queue(user=reviewer).filter(dealer_id=dealer_id)[:51].explain(),
        "queue, checks passed": review_queue(user=reviewer).filter(failed_checks=[])[:51].explain(),
    }
    for name, plan in plans.items():
        print(f"-- plan of the {name}:\n{plan}")
        if CLAIMS >= 50_000:
            assert "Seq Scan on claims_claim" not in plan, f"the {name} scans the claims table"
    if CLAIMS >= 50_000:
        print("queue plans use an index (no sequential scan of claims_claim)")
    else:
        print(f"(plans not checked: {CLAIMS:,} claims are too few for the planner to prefer an index)")


if __name__ == "__main__":
    main()
