from datetime import date

import pytest

from aftersales.roles import Role
from warranty.models import WarrantyPolicy
from warranty.tests.factories import (
    DealerFactory,
    DealerMemberFactory,
    PolicyFactory,
    ProductModelFactory,
    UnitFactory,
    version_from_preset,
)


@pytest.fixture
def car_policy(db):
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CAR_2021)
    version_from_preset(policy, "car_2021", effective_from=date(2015, 1, 1))
    return policy


@pytest.fixture
def car_model(car_policy):
    return ProductModelFactory(policy=car_policy)


@pytest.fixture
def dealer(db):
    return DealerFactory()


@pytest.fixture
def other_dealer(db):
    return DealerFactory()


@pytest.fixture
def dealer_user(make_user, dealer):
    user = make_user(Role.DEALER_STAFF)
    DealerMemberFactory(user=user, dealer=dealer)
    return user


@pytest.fixture
def car(car_model, dealer):
    return UnitFactory(
        product_model=car_model,
        selling_dealer=dealer,
        invoice_date=date(2026, 6, 1),
        delivery_date=date(2026, 6, 1),
        usage_reading=12000,
    )
