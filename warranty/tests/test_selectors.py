from datetime import date
from decimal import Decimal

import pytest

from warranty.models import PartPrice
from warranty.selectors import part_price_on

pytestmark = pytest.mark.django_db


def test_part_price_on_a_day_is_the_latest_valid_then():
    for valid_from, price in [(date(2026, 1, 1), "10.00"), (date(2026, 6, 1), "12.50")]:
        PartPrice.objects.create(part_number="P-1", name="filter", price=Decimal(price), valid_from=valid_from)
    assert part_price_on(part_number="P-1", day=date(2025, 12, 31)) is None
    assert part_price_on(part_number="P-1", day=date(2026, 5, 31)).price == Decimal("10.00")
    assert part_price_on(part_number="P-1", day=date(2026, 6, 1)).price == Decimal("12.50")
    assert part_price_on(part_number="P-2", day=date(2026, 6, 1)) is None


def test_part_prices_on_a_day_match_one_by_one_lookups_in_one_query(django_assert_num_queries):
    from warranty.selectors import part_prices_on

    PartPrice.objects.create(part_number="Q-1", name="旧价", price=Decimal("10.00"), valid_from=date(2026, 1, 1))
    PartPrice.objects.create(part_number="Q-1", name="新价", price=Decimal("12.50"), valid_from=date(2026, 6, 1))
    PartPrice.objects.create(part_number="Q-2", name="只有以后", price=Decimal("3.00"), valid_from=date(2026, 9, 1))
    PartPrice.objects.create(part_number="Q-3", name="一个", price=Decimal("7.00"), valid_from=date(2025, 1, 1))
    with django_assert_num_queries(1):
        prices = part_prices_on(part_numbers=["Q-1", "Q-2", "Q-3", "Q-9"], day=date(2026, 6, 1))
    assert {number: row.price for number, row in prices.items()} == {"Q-1": Decimal("12.50"), "Q-3": Decimal("7.00")}
    for number in ("Q-1", "Q-2", "Q-3", "Q-9"):
        one = part_price_on(part_number=number, day=date(2026, 6, 1))
        assert prices.get(number) == one
