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
    """The installed Mon–Fri 08:30–17:00 calendar that follows China's statutory days (made again when a
    flushing test removed the migration's rows)."""
    from datetime import time

    from tickets.models import BusinessCalendar
    from tickets.services.calendars import calendar_save

    name = "工作日 08:30–17:00"
    return BusinessCalendar.objects.filter(name=name).first() or calendar_save(
        name=name,
        timezone="Asia/Shanghai",
        always_open=False,
        windows=[(day, time(8, 30), time(17, 0)) for day in range(1, 6)],
        statutory_holidays="CN",
        holidays=[],
        workdays=[],
    )
