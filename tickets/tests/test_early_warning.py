"""Recurring-fault early warning: thresholds and "faster than its own history" on hand-counted repair
records, raised once per model, code and period, the quality managers told once, acknowledged and routed."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from aftersales.errors import ApplicationError, ConflictError
from aftersales.models import OutboxMessage
from aftersales.roles import Role
from tickets.dashboards.warnings import warning_behind, warning_list
from tickets.models import EarlyWarning, EarlyWarningRule, Notification
from tickets.services import early_warning as ew
from warranty.tests.factories import DealerMemberFactory, ProductModelFactory, RepairFactory, UnitFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=SH)


def faults(model, code, day: date, count: int, quality_problem=True):
    for _n in range(count):
        moment = datetime(day.year, day.month, day.day, 10, tzinfo=SH)
        RepairFactory(
            unit=UnitFactory(product_model=model),
            problem_code=code,
            confirmed_at=moment,
            completed_at=moment,
            quality_problem=quality_problem,
        )


@pytest.fixture
def models(db):
    m1, m2 = ProductModelFactory(code="M1"), ProductModelFactory(code="M2")
    # M1 / P1: 1, 0, 1, 0, 1, 0 in Sep 2025 – Feb 2026 (average 0.5), then 3 in March: 6× its history.
    for month in (9, 11):
        faults(m1, "P1", date(2025, month, 15), 1)
    faults(m1, "P1", date(2026, 1, 15), 1)
    faults(m1, "P1", date(2026, 3, 5), 3)
    # M1 / P2: 4 a month before (under the threshold), 5 in March: over the threshold of 5, not a rise.
    for month in (9, 10, 11, 12):
        faults(m1, "P2", date(2025, month, 10), 4)
    for month in (1, 2):
        faults(m1, "P2", date(2026, month, 10), 4)
    faults(m1, "P2", date(2026, 3, 10), 5)
    # M2 / P1: 2 in March after none: below the 3 a rise needs.
    faults(m2, "P1", date(2026, 3, 12), 2)
    # M2 / P3: misuse, not the product's fault.
    faults(m2, "P3", date(2026, 3, 12), 9, quality_problem=False)
    # April's: outside the month watched on March 20.
    faults(m1, "P1", date(2026, 4, 2), 4)
    return m1, m2


@pytest.fixture
def rule(db):
    return EarlyWarningRule.objects.create(
        name="monthly", window="month", threshold=5, growth_factor=Decimal("3"), history_windows=6, min_count=3
    )


def test_periods_month_quarter_year():
    assert ew.period_of("month", date(2026, 3, 20)) == (date(2026, 3, 1), date(2026, 4, 1))
    assert ew.period_of("quarter", date(2026, 3, 20)) == (date(2026, 1, 1), date(2026, 4, 1))
    assert ew.period_of("year", date(2026, 3, 20)) == (date(2026, 1, 1), date(2027, 1, 1))
    assert ew.periods_before("month", date(2026, 2, 1), 2) == [
        (date(2025, 12, 1), date(2026, 1, 1)),
        (date(2026, 1, 1), date(2026, 2, 1)),
    ]
    assert ew.periods_before("quarter", date(2026, 1, 1), 1) == [(date(2025, 10, 1), date(2026, 1, 1))]


def test_detect_threshold_and_history_hand_counted(models, rule):
    assert ew.early_warnings_detect(now=NOW) == 2
    found = {(w.product_model.code, w.problem_code): w for w in EarlyWarning.objects.select_related("product_model")}
    assert set(found) == {("M1", "P1"), ("M1", "P2")}
    rise = found[("M1", "P1")]
    assert (rise.count, rise.baseline, rise.over_history, rise.over_threshold) == (3, Decimal("0.50"), True, False)
    assert (rise.period_start, rise.period_end, rise.window) == (date(2026, 3, 1), date(2026, 4, 1), "month")
    with translation.override("en"):
        assert ew.describe(rise) == (
            "P1 on M1: 3 faults in 2026-03, 6.0× the last 6 months' average (0.5) — rose faster than its history."
        )
    high = found[("M1", "P2")]
    assert (high.count, high.baseline, high.over_history, high.over_threshold) == (5, Decimal("4.00"), False, True)
    with translation.override("en"):
        assert "reached the threshold of 5" in ew.describe(high)
    assert list(rise.events.values_list("kind", flat=True)) == ["raised"]


def test_detect_again_raises_nothing_twice_and_follows_the_count(models, rule):
    ew.early_warnings_detect(now=NOW)
    assert ew.early_warnings_detect(now=NOW) == 0
    assert EarlyWarning.objects.count() == 2
    faults(models[0], "P1", date(2026, 3, 18), 1)
    assert ew.early_warnings_detect(now=NOW) == 0
    rise = EarlyWarning.objects.get(problem_code="P1")
    assert rise.count == 4
    assert list(rise.events.order_by("id").values_list("kind", flat=True)) == ["raised", "count_changed"]
    # On April 1 the job looks at March again (catch-up after the turn of the month) and at April: March
    # raises nothing twice; April's 4 are 4× Oct–Mar's average of 1 (0, 1, 0, 1, 0, 4).
    assert ew.early_warnings_detect(now=datetime(2026, 4, 1, 1, tzinfo=SH)) == 1
    april = EarlyWarning.objects.get(period_start=date(2026, 4, 1))
    assert (april.problem_code, april.count, april.baseline) == ("P1", 4, Decimal("1.00"))
    assert EarlyWarning.objects.count() == 3


def test_no_history_rule_a_new_fault_after_none(models):
    EarlyWarningRule.objects.create(name="new", window="month", growth_factor=Decimal("2"), min_count=2)
    ew.early_warnings_detect(now=NOW)
    new = EarlyWarning.objects.get(product_model__code="M2", problem_code="P1")
    assert (new.count, new.baseline, new.over_history) == (2, Decimal("0.00"), True)
    with translation.override("en"):
        assert "none in the previous 6 months" in ew.describe(new)


def test_notify_quality_managers_once(models, rule, make_user):
    quality = make_user(Role.QUALITY_MANAGER, username="qm")
    make_user(Role.SERVICE_MANAGER)
    ew.early_warnings_detect(now=NOW)
    assert ew.early_warnings_notify(now=NOW) == 2
    assert ew.early_warnings_notify(now=NOW) == 0
    sent = Notification.objects.filter(kind="early_warning")
    assert sent.count() == 2 and set(sent.values_list("recipient", flat=True)) == {quality.pk}
    assert {n.object_id for n in sent} == set(EarlyWarning.objects.values_list("id", flat=True))
    digests = OutboxMessage.objects.filter(task="tickets.notification_digest")
    assert [(m.args[0], sorted(m.args[1])) for m in digests] == [(quality.pk, sorted(n.pk for n in sent))]
    assert not EarlyWarning.objects.filter(notified_at__isnull=True).exists()


def test_notify_waits_until_a_quality_manager_is_appointed(models, rule, make_user):
    ew.early_warnings_detect(now=NOW)
    assert ew.early_warnings_notify(now=NOW) == 0
    assert EarlyWarning.objects.filter(notified_at__isnull=True).count() == 2
    make_user(Role.QUALITY_MANAGER)
    raised, notified = ew.early_warnings_run(now=NOW)
    assert (raised, notified) == (0, 2)


def test_acknowledge_routes_once(models, rule, make_user):
    ew.early_warnings_detect(now=NOW)
    manager = make_user(Role.QUALITY_MANAGER)
    warning = EarlyWarning.objects.get(problem_code="P1")
    with pytest.raises(ApplicationError) as refused:
        ew.early_warning_acknowledge(warning=warning, actor=manager, route="", now=NOW)
    assert refused.value.code == "route_required"
    done = ew.early_warning_acknowledge(warning=warning, actor=manager, route="rd", note="电机批次问题", now=NOW)
    assert (done.status, done.route, done.acknowledged_by) == ("acknowledged", "rd", manager)
    with pytest.raises(ConflictError) as again:
        ew.early_warning_acknowledge(warning=warning, actor=manager, route="training", now=NOW)
    assert again.value.code == "warning_acknowledged"
    assert EarlyWarning.objects.get(pk=warning.pk).route == "rd"
    assert list(done.events.order_by("id").values_list("kind", flat=True)) == ["raised", "acknowledged"]


def test_warning_behind_lists_units_and_dealers_see_none(models, rule, desk_user, make_user, dealer):
    ew.early_warnings_detect(now=NOW)
    warning = EarlyWarning.objects.get(problem_code="P1")
    behind = warning_behind(user=desk_user, warning=warning)
    assert len(behind) == 3 and all(row["ticket_id"] is None for row in behind)
    dealer_user = make_user(Role.QUALITY_MANAGER)
    DealerMemberFactory(user=dealer_user, dealer=dealer)
    assert warning_list(user=dealer_user) == []
    assert len(warning_list(user=desk_user)) == 2
