# The SLA test world (cases walked through the services in March 2026) serves the pages, API and exports.
from tickets.tests.conftest import car, car_model, car_policy, dealer, dealer_user, other_dealer  # noqa: F401
from tickets.tests.test_dashboards_sla import world  # noqa: F401
