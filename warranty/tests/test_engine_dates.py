"""Day counting, repair time, period ends and start dates of the 三包 engine (docs/sanbao.md "Counting")."""

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from warranty.engine import (
    EngineError,
    Repair,
    UnitFacts,
    add_months,
    compute_periods,
    preset,
    repair_days,
    start_date,
)

T0 = datetime(2023, 5, 1, 10, 0)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        pytest.param(date(2024, 2, 29), 12, date(2025, 2, 28), id="feb29-plus-1y-ends-feb28"),
        pytest.param(date(2024, 2, 29), 36, date(2027, 2, 28), id="feb29-plus-3y-ends-feb28"),
        pytest.param(date(2024, 2, 29), 48, date(2028, 2, 29), id="feb29-plus-4y-ends-feb29"),
        pytest.param(date(2023, 1, 31), 1, date(2023, 2, 28), id="jan31-plus-1m-clamps-to-feb28"),
        pytest.param(date(2024, 1, 31), 1, date(2024, 2, 29), id="jan31-plus-1m-leap-year"),
        pytest.param(date(2023, 11, 30), 3, date(2024, 2, 29), id="across-year-end"),
        pytest.param(date(2023, 5, 15), 24, date(2025, 5, 15), id="same-calendar-date"),
    ],
)
def test_add_months_same_calendar_date_clamped(start, months, expected):
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("hours", "excluded", "method", "expected"),
    [
        pytest.param(0, "0", "subtract_then_round", 0, id="0h-0-days"),
        pytest.param(1, "0", "subtract_then_round", 1, id="1h-1-day"),
        pytest.param(24, "0", "subtract_then_round", 1, id="24h-1-day"),
        pytest.param(24 + 1 / 60, "0", "subtract_then_round", 2, id="24h01m-2-days"),
        pytest.param(25, "0", "subtract_then_round", 2, id="25h-2-days"),
        pytest.param(48, "0", "subtract_then_round", 2, id="48h-2-days"),
        pytest.param(49, "0", "subtract_then_round", 3, id="49h-3-days"),
        pytest.param(49, "1", "subtract_then_round", 2, id="49h-less-1h-excluded-2-days"),
        pytest.param(50, "1", "subtract_then_round", 3, id="50h-less-1h-excluded-3-days"),
        pytest.param(Decimal("24.5"), "0.5", "subtract_then_round", 1, id="fractional-excluded-hours"),
        pytest.param(10, "20", "subtract_then_round", 0, id="excluded-more-than-gross-0"),
        # Option 3: ceil(48/24) − ceil(1/24) = 2 − 1 = 1, where subtracting first gives ceil(47/24) = 2.
        pytest.param(48, "1", "subtract_then_round", 2, id="48h-less-1h-subtract-first-2"),
        pytest.param(48, "1", "round_then_subtract", 1, id="48h-less-1h-round-first-1"),
        pytest.param(49, "25", "round_then_subtract", 1, id="49h-less-25h-round-first-3-minus-2"),
        pytest.param(10, "30", "round_then_subtract", 0, id="round-first-never-negative"),
    ],
)
def test_repair_days_full_24h_days_and_remainder(hours, excluded, method, expected):
    hours = Decimal(str(hours)) if not isinstance(hours, Decimal) else hours
    repair = Repair(
        confirmed_at=T0,
        completed_at=T0 + timedelta(seconds=float(hours * 3600)),
        excluded_hours=Decimal(excluded),
    )
    assert repair_days(repair, method=method) == expected


def test_repair_days_open_repair_runs_until_given_moment():
    repair = Repair(confirmed_at=T0, completed_at=None)
    assert repair_days(repair, until=T0 + timedelta(hours=25)) == 2


@pytest.mark.parametrize(
    ("repair", "until", "code"),
    [
        pytest.param(Repair(confirmed_at=T0, completed_at=None), None, "open_repair_needs_until", id="open-no-until"),
        pytest.param(
            Repair(confirmed_at=T0, completed_at=T0 - timedelta(minutes=1)),
            None,
            "completed_before_confirmed",
            id="completed-before-confirmed",
        ),
        pytest.param(
            Repair(confirmed_at=T0, completed_at=T0 + timedelta(hours=2), excluded_hours=Decimal(-1)),
            None,
            "negative_hours",
            id="negative-excluded-hours",
        ),
        pytest.param(
            Repair(confirmed_at=T0, completed_at=T0 + timedelta(hours=2), parts_wait_hours=Decimal(-1)),
            None,
            "negative_hours",
            id="negative-waiting-hours",
        ),
        pytest.param(
            Repair(confirmed_at=T0, completed_at=None),
            T0 - timedelta(hours=1),
            "assessed_before_confirmed",
            id="open-repair-assessed-before-it-began",
        ),
    ],
)
def test_repair_days_refuses_impossible_repairs(repair, until, code):
    with pytest.raises(EngineError) as error:
        repair_days(repair, until=until)
    assert error.value.code == code


# Car 2021 preset on a leap day: 包修期 36 months, 三包有效期 24 months, 7 days, 60 days / 3,000 km.
LEAP = UnitFacts(invoice_date=date(2024, 2, 29))


@pytest.mark.parametrize(
    ("name", "end"),
    [
        pytest.param("repair_period", date(2027, 2, 28), id="repair-period-3y-from-feb29"),
        pytest.param("sanbao_period", date(2026, 2, 28), id="sanbao-period-2y-from-feb29"),
        pytest.param("return_window", date(2024, 3, 7), id="7-days-from-feb29"),
        pytest.param("early_window", date(2024, 4, 29), id="60-days-from-feb29"),
    ],
)
def test_car_period_ends_from_feb29_and_active_through_last_day(name, end):
    terms = preset("car_2021")
    on_last = compute_periods(terms, LEAP, on=end, usage=0)[name]
    after = compute_periods(terms, LEAP, on=end + timedelta(days=1), usage=0)[name]
    assert (on_last.start, on_last.end, on_last.active, after.active) == (date(2024, 2, 29), end, True, False)


@pytest.mark.parametrize(
    ("name", "usage", "active"),
    [
        pytest.param("repair_period", 60000, True, id="repair-60000-km-inclusive"),
        pytest.param("repair_period", 60001, False, id="repair-60001-km-over"),
        pytest.param("sanbao_period", 50000, True, id="sanbao-50000-km-inclusive"),
        pytest.param("sanbao_period", 50001, False, id="sanbao-50001-km-over"),
        pytest.param("early_window", 3000, True, id="early-3000-km-inclusive"),
        pytest.param("early_window", 3001, False, id="early-3001-km-over"),
        pytest.param("return_window", 99999, True, id="return-window-has-no-usage-limit"),
    ],
)
def test_car_usage_limits_inclusive_whichever_first(name, usage, active):
    periods = compute_periods(preset("car_2021"), LEAP, on=date(2024, 3, 1), usage=usage)
    assert periods[name].active is active


def test_compute_periods_component_filter_lists_only_that_component():
    terms = preset("mobile_phone")
    facts = UnitFacts(invoice_date=date(2024, 1, 1))
    every = compute_periods(terms, facts, on=date(2024, 1, 2), usage=None)
    only = compute_periods(terms, facts, on=date(2024, 1, 2), usage=None, component="battery")
    assert {"component:battery", "component:charger", "component:headset"} <= set(every)
    assert [name for name in only if name.startswith("component:")] == ["component:battery"]
    # 6 months from 1 Jan; 3 months for the headset.
    assert (only["component:battery"].end, every["component:headset"].end) == (date(2024, 7, 1), date(2024, 4, 1))


# National Day 2024: 1–7 October are statutory holidays.
HOLIDAYS = {date(2024, 10, 1) + timedelta(days=i) for i in range(7)}


def fake_calendar(day: date) -> bool:
    return day not in HOLIDAYS


@pytest.mark.parametrize(
    ("invoice", "name", "holiday_extension", "end"),
    [
        pytest.param(date(2023, 10, 1), "whole_unit", False, date(2024, 10, 1), id="off-by-default-ends-on-holiday"),
        pytest.param(date(2023, 10, 1), "whole_unit", True, date(2024, 10, 8), id="on-moves-to-next-working-day"),
        pytest.param(date(2024, 9, 24), "return_window", True, date(2024, 10, 8), id="7-day-window-extended-too"),
        pytest.param(date(2023, 9, 30), "whole_unit", True, date(2024, 9, 30), id="working-day-end-unchanged"),
    ],
)
def test_holiday_extension_option(invoice, name, holiday_extension, end):
    terms = preset("catalogue_goods")
    terms = replace(terms, options={**terms.options, "holiday_extension": holiday_extension})
    periods = compute_periods(
        terms, UnitFacts(invoice_date=invoice), on=invoice, usage=None, is_working_day=fake_calendar
    )
    assert periods[name].end == end


def test_holiday_extension_needs_a_calendar():
    terms = preset("catalogue_goods")
    terms = replace(terms, options={**terms.options, "holiday_extension": True})
    with pytest.raises(EngineError) as error:
        compute_periods(terms, UnitFacts(invoice_date=date(2024, 1, 1)), on=date(2024, 1, 2), usage=None)
    assert (error.value.code, error.value.field) == ("calendar_required", "is_working_day")


ALL_DATES = UnitFacts(
    invoice_date=date(2023, 1, 10),
    delivery_date=date(2023, 1, 20),
    installation_date=date(2023, 2, 1),
    acceptance_date=date(2023, 2, 15),
)


@pytest.mark.parametrize(
    ("terms_name", "facts", "expected"),
    [
        pytest.param(
            "car_2021",
            UnitFacts(invoice_date=date(2023, 3, 1), delivery_date=date(2023, 3, 5)),
            date(2023, 3, 5),
            id="car2021-delivery-when-it-differs",
        ),
        pytest.param(
            "car_2021",
            UnitFacts(invoice_date=date(2023, 3, 1), delivery_date=date(2023, 3, 1)),
            date(2023, 3, 1),
            id="car2021-invoice-when-same-day",
        ),
        pytest.param("car_2021", UnitFacts(invoice_date=date(2023, 3, 1)), date(2023, 3, 1), id="car2021-invoice-only"),
        pytest.param(
            "car_2021",
            UnitFacts(invoice_date=date(2023, 3, 1), delivery_date=date(2023, 3, 5), replaced_on=date(2023, 9, 1)),
            date(2023, 9, 1),
            id="car2021-replacement-restarts",
        ),
        pytest.param(
            "car_2013",
            UnitFacts(invoice_date=date(2021, 3, 1), delivery_date=date(2021, 3, 10)),
            date(2021, 3, 1),
            id="car2013-always-invoice",
        ),
        pytest.param("contract", ALL_DATES, date(2023, 2, 15), id="contract-preset-acceptance"),
    ],
)
def test_start_date_rules(terms_name, facts, expected):
    assert start_date(preset(terms_name), facts) == expected


@pytest.mark.parametrize(
    ("event", "start", "end"),
    [
        pytest.param("invoice", date(2023, 1, 10), date(2024, 1, 10), id="invoice"),
        pytest.param("delivery", date(2023, 1, 20), date(2024, 1, 20), id="delivery"),
        pytest.param("installation", date(2023, 2, 1), date(2024, 2, 1), id="installation"),
        pytest.param("acceptance", date(2023, 2, 15), date(2024, 2, 15), id="acceptance"),
        pytest.param("day_after_acceptance", date(2023, 2, 16), date(2024, 2, 16), id="day-after-acceptance"),
    ],
)
def test_contract_start_events_and_one_year_end(event, start, end):
    terms = replace(preset("contract"), start_event=event)
    assert start_date(terms, ALL_DATES) == start
    assert compute_periods(terms, ALL_DATES, on=start, usage=None)["whole_unit"].end == end


@pytest.mark.parametrize(
    ("terms_name", "facts", "field"),
    [
        pytest.param("car_2021", UnitFacts(), "invoice_date", id="car-without-dates"),
        pytest.param("contract", UnitFacts(invoice_date=date(2023, 1, 1)), "acceptance_date", id="no-acceptance-date"),
    ],
)
def test_start_date_missing(terms_name, facts, field):
    with pytest.raises(EngineError) as error:
        start_date(preset(terms_name), facts)
    assert (error.value.code, error.value.field) == ("missing_start_date", field)


def test_replacement_before_start_is_refused():
    facts = UnitFacts(invoice_date=date(2023, 3, 1), replaced_on=date(2023, 2, 1))
    with pytest.raises(EngineError) as error:
        start_date(preset("catalogue_goods"), facts)
    assert (error.value.code, error.value.field) == ("replaced_before_start", "replaced_on")
