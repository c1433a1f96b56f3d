"""Where an N+1 could creep in, the number of queries does not grow with the lines of a claim or the rows
of a list."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from aftersales.testing import QueryCounter

pytestmark = pytest.mark.django_db


def lines_of(count, operation):
    kinds = [
        {"kind": "labour", "operation": operation, "hours": Decimal("1.00")},
        {"kind": "part", "part_number": "P-BRK-001", "quantity": Decimal(1)},
        {"kind": "other", "cost_kind": "towing", "amount": Decimal("10.00")},
    ]
    return [kinds[index % 3] for index in range(count)]


def test_submission_queries_do_not_grow_with_the_lines(make_claim, operation):
    # The actor's permissions, roles and scope are read once per user object: the first claim pays them.
    make_claim(lines=lines_of(1, operation), documents=False, problem_code="W")
    counts = []
    for size, problem in ((3, "A"), (12, "B")):
        with QueryCounter() as counter:
            make_claim(lines=lines_of(size, operation), documents=False, problem_code=problem)
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_claim_detail_and_queue_queries_do_not_grow_with_the_rows(make_claim, operation, reviewer):
    client = APIClient()
    client.force_authenticate(reviewer)
    small = make_claim(lines=lines_of(3, operation), problem_code="A")
    large = make_claim(lines=lines_of(12, operation), problem_code="B")
    client.get("/api/v1/claims/queue/")  # the user's permissions and scope are read once per user object
    counts = []
    for claim in (small, large):
        with QueryCounter() as counter:
            assert client.get(f"/api/v1/claims/{claim.pk}/").status_code == 200
        counts.append(counter.count)
    with QueryCounter() as one:
        client.get("/api/v1/claims/queue/?page_size=1")
    with QueryCounter() as many:
        client.get("/api/v1/claims/queue/?page_size=50")
    assert counts[0] == counts[1] and one.count == many.count


def test_claim_page_queries_do_not_grow_with_the_lines(client, make_claim, operation, reviewer):
    client.force_login(reviewer)
    counts = []
    for size, problem in ((3, "A"), (12, "B")):
        claim = make_claim(lines=lines_of(size, operation), problem_code=problem)
        client.get(f"/claims/{claim.pk}/")  # warm: the session's user is loaded per request either way
        with QueryCounter() as counter:
            assert client.get(f"/claims/{claim.pk}/").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]
