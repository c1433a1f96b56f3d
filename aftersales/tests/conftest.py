# The warranty fixtures (a car under a statutory policy, dealers, dealer users) serve the scope tests too.
from warranty.tests.conftest import (  # noqa: F401
    car,
    car_model,
    car_policy,
    dealer,
    dealer_user,
    other_dealer,
)
