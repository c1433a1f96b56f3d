"""The beat tasks on a real Celery worker and real Redis, and the operations command: overdue reviews are
escalated and parts not returned reject their lines — once, however often the jobs run."""

import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from aftersales.roles import Role
from aftersales.testing import CeleryWorker, wait_for
from claims.models import Claim, ClaimLine
from claims.tasks import returns_overdue_task, review_overdue_task
from claims.tests.conftest import NOW
from tickets.models import Notification


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_worker_runs_the_beat_tasks_twice_and_each_effect_happens_once(make_claim, make_user, settings, tmp_path):
    manager = make_user(Role.DEPARTMENT_MANAGER)
    claim = make_claim()
    part = claim.lines.get(kind="part")
    later = (NOW + timedelta(days=45)).isoformat()
    worker = CeleryWorker(redis_url=settings.REDIS_URL, concurrency=2, log_file=tmp_path / "worker.log").start()
    try:
        for _ in range(2):
            review_overdue_task.delay(later)
            returns_overdue_task.delay(later)

        def done():
            claim.refresh_from_db()
            part.refresh_from_db()
            return claim.escalated_at is not None and part.decision == "rejected"

        wait_for(done, timeout=60, what="the beat tasks to run")
        time.sleep(2)  # let the second runs finish too
    finally:
        worker.stop()
    assert Notification.objects.filter(recipient=manager, kind="claim_review_overdue", object_id=claim.pk).count() == 1
    assert claim.events.filter(kind="review_overdue").count() == 1
    assert claim.events.filter(kind="line_rejected").count() == 1
    assert ClaimLine.objects.get(pk=part.pk).reason.code == "part_not_returned"


@pytest.mark.django_db
def test_claims_sweep_command_sweeps_as_of_the_given_time(make_claim):
    claim = make_claim()
    out = StringIO()
    call_command("claims_sweep", "--now", (NOW + timedelta(days=10)).isoformat(), stdout=out)
    assert out.getvalue().startswith("0 overdue reviews escalated, 0 lines")
    call_command("claims_sweep", "--now", (NOW + timedelta(days=31)).isoformat(), stdout=out)
    assert "1 overdue reviews escalated, 1 lines rejected" in out.getvalue()
    assert Claim.objects.get(pk=claim.pk).escalated_at is not None


@pytest.mark.django_db
def test_periodic_statement_task_issues_once(make_claim, make_user):
    from claims.models import SettlementStatement
    from claims.services import review
    from claims.tasks import statements_periodic_task

    claim = make_claim()
    review.claim_decide(
        claim=claim,
        actor=make_user(Role.CLAIMS_REVIEWER),
        expected_version=claim.version,
        decisions=[{"line": line.pk, "decision": "approve"} for line in claim.lines.all()],
        now=NOW,
    )
    december = (NOW + timedelta(days=15)).isoformat()
    assert statements_periodic_task(december) == 1
    assert statements_periodic_task(december) == 0
    assert SettlementStatement.objects.get().issued_by is None
