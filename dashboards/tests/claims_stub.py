"""Stands in for the dealer-claims app's ``claims.dashboards`` (on another branch) in the tests of the slot
that app fills: the same selector names and row keys as dashboards.sections.claims documents."""


def claims_totals(*, user, filters, now):
    return {
        "claims": 4,
        "approved": 2,
        "approved_in_part": 1,
        "rejected": 1,
        "approval_rate": 75.0,
        "amount_claimed": 1000.0,
        "amount_approved": 700.0,
        "median_review_days": 2.5,
        "p90_review_days": 4.0,
        "parts_not_returned": 1,
        "settled_amount": 500.0,
    }


def _group(key):
    return [
        {
            "key": key,
            "name": f"{key} name",
            "claims": 4,
            "amount_claimed": 1000.0,
            "amount_approved": 700.0,
            "approval_rate": 75.0,
            "median_review_days": 2.5,
            "parts_not_returned": 1,
            "links": {"claims": f"/claims/?{key}"},
        }
    ]


def claims_by_dealer(*, user, filters, now):
    return _group("D0001")


def claims_by_model(*, user, filters, now):
    return _group("M1")


def claims_by_reason(*, user, filters, now):
    return _group("R1")


def dealer_scorecard(*, user, filters, now):
    return [
        {
            "rank": 1,
            "key": "D0001",
            "name": "经销商",
            "registration_on_time_rate": 95.0,
            "response_compliance": 90.0,
            "claim_quality": 80.0,
            "satisfaction": 4.5,
            "score": 88.0,
        }
    ]
