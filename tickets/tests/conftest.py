import pytest

# The warranty fixtures (a car under a statutory policy, dealers, dealer users) serve case tests too.
from warranty.tests.conftest import (  # noqa: F401
    car,
    car_model,
    car_policy,
    dealer,
    dealer_user,
    other_dealer,
)


@pytest.fixture
def workday_calendar(db):
    """The installed Mon–Fri 08:30–17:00 calendar that follows China's statutory days, with the default SLA
    set-up (installed again when a flushing test of an earlier run on a reused database removed it)."""
    import importlib

    from django.apps import apps

    from tickets.models import BusinessCalendar, SLAMetric

    if not SLAMetric.objects.exists():
        importlib.import_module("tickets.migrations.0002_default_sla").install(apps, None)
        importlib.import_module("tickets.migrations.0007_default_ladder").install(apps, None)
    return BusinessCalendar.objects.get(name="工作日 08:30–17:00")
