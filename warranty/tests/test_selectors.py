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
