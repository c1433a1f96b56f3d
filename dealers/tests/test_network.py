"""The dealer network: outlet data with its invariants in the database, and the admin pages."""

from decimal import Decimal

import pytest
from django.db import IntegrityError

from dealers.models import Dealer
from warranty.tests.factories import DealerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "values",
    [{"labour_rate": Decimal("-1")}, {"latitude": Decimal("91")}, {"longitude": Decimal("-181")}],
)
def test_dealer_impossible_values_are_refused_by_the_database(values):
    with pytest.raises(IntegrityError):
        DealerFactory(**values)


def test_dealer_defaults_are_an_active_b_tier_outlet_with_no_rate():
    dealer = DealerFactory()
    assert (dealer.rating_tier, dealer.is_active, dealer.suspended, dealer.labour_rate) == ("B", True, False, 0)


def test_dealer_admin_lists_and_filters_the_network(admin_client):
    DealerFactory(code="D-EAST-1", region="华东", labour_rate=Decimal("75.00"), suspended=True)
    response = admin_client.get("/admin/dealers/dealer/?suspended__exact=1")
    assert response.status_code == 200
    assert "D-EAST-1" in response.content.decode() and "75.00" in response.content.decode()
    assert Dealer.objects.filter(suspended=True).count() == 1
