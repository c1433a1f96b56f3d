from datetime import date

import pytest

from tickets.models import Visit, VisitPlan
from tickets.services.visits import visits_generate
from warranty.tests.factories import ContractFactory, UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project_plan():
    return VisitPlan.objects.create(
        code="project-year-1", name="当年竣工项目", phone_per_year=2, onsite_per_year=1, first_within_months=6
    )


def test_a_year_of_visits_spread_and_moved_off_days_off(project_plan, dealer, car_model):
    contract = ContractFactory(starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31), visit_plan="project-year-1")
    contract.units.add(UnitFactory(product_model=car_model, selling_dealer=dealer))
    created = visits_generate(today=date(2025, 1, 1), horizon_days=365)
    visits = {visit.slot: visit for visit in Visit.objects.filter(contract=contract)}
    assert created == 3
    # On-site: the middle of the year (2 Jul) but within 6 months of the start: 1 Jul 2025, a Tuesday.
    assert (visits["1#onsite#1"].kind, visits["1#onsite#1"].due_on) == ("onsite", date(2025, 7, 1))
    # Phone: at a quarter of each half year: 16 Feb and 17 Aug 2025 are Sundays -> the Mondays after.
    assert visits["1#phone#1"].due_on == date(2025, 2, 17)
    assert visits["1#phone#2"].due_on == date(2025, 8, 18)
    assert {visit.outlet for visit in visits.values()} == {dealer}


def test_a_visit_on_national_day_moves_to_the_next_working_day(db):
    VisitPlan.objects.create(code="inspect", name="年检", onsite_per_year=1)
    contract = ContractFactory(starts_on=date(2025, 4, 2), ends_on=date(2026, 4, 1), visit_plan="inspect")
    visits_generate(today=date(2025, 4, 2), horizon_days=365)
    # Half a year after 2 Apr 2025 is 1 Oct, inside National Day (1–8 Oct): moved to Thu 9 Oct.
    assert Visit.objects.get(contract=contract).due_on == date(2025, 10, 9)


def test_generating_twice_creates_each_visit_once(project_plan):
    contracts = [
        ContractFactory(starts_on=date(2025, 1, 1), ends_on=date(2026, 12, 31), visit_plan="project-year-1")
        for _ in range(5)
    ]
    first = visits_generate(today=date(2025, 1, 1), horizon_days=730)
    second = visits_generate(today=date(2025, 1, 1), horizon_days=730)
    assert (first, second) == (5 * 6, 0)
    assert Visit.objects.filter(contract__in=contracts).count() == 30


def test_only_the_horizon_is_generated_and_later_runs_add_the_rest(project_plan):
    contract = ContractFactory(starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31), visit_plan="project-year-1")
    assert visits_generate(today=date(2025, 1, 1), horizon_days=60) == 1  # phone on 17 Feb
    assert visits_generate(today=date(2025, 6, 20), horizon_days=30) == 1  # on-site on 1 Jul
    assert sorted(Visit.objects.filter(contract=contract).values_list("slot", flat=True)) == ["1#onsite#1", "1#phone#1"]


def test_inspection_recorded_and_a_finding_opens_a_case(client, desk_user, make_user, car_model, dealer):
    from aftersales.roles import Role
    from tickets.models import Ticket

    VisitPlan.objects.create(code="inspect", name="年检", onsite_per_year=1)
    contract = ContractFactory(starts_on=date(2025, 4, 2), ends_on=date(2026, 4, 1), visit_plan="inspect")
    contract.units.add(UnitFactory(product_model=car_model, selling_dealer=dealer))
    visits_generate(today=date(2025, 4, 2), horizon_days=365)
    visit = Visit.objects.get()
    engineer = make_user(Role.ENGINEER)
    client.force_login(engineer)
    missing = client.post(f"/cases/visits/{visit.pk}/", {"checklist": "UPS", "findings": "", "confirmed_by": ""})
    assert missing.status_code == 200
    client.post(
        f"/cases/visits/{visit.pk}/",
        {"checklist": "蓄电池电压\n!风扇异响\n环境温度", "findings": "风扇轴承磨损", "confirmed_by": "刘工"},
    )
    visit.refresh_from_db()
    assert visit.status == "done"
    assert visit.checklist == [
        {"item": "蓄电池电压", "ok": True},
        {"item": "风扇异响", "ok": False},
        {"item": "环境温度", "ok": True},
    ]
    response = client.post(f"/cases/visits/{visit.pk}/", {"open_case": "1"})
    ticket = Ticket.objects.get()
    assert response["Location"] == f"/cases/{ticket.pk}/"
    assert (ticket.description, ticket.customer, ticket.serving_outlet) == ("风扇轴承磨损", contract.customer, dealer)
    client.post(f"/cases/visits/{visit.pk}/", {"open_case": "1"})
    assert Ticket.objects.count() == 1  # one click, one case


def test_overdue_visits_tell_the_service_managers_once(make_user):
    from aftersales.roles import Role
    from tickets.models import Notification
    from tickets.services.visits import visits_notify_overdue

    manager = make_user(Role.SERVICE_MANAGER)
    VisitPlan.objects.create(code="inspect", name="年检", onsite_per_year=1)
    ContractFactory(starts_on=date(2025, 4, 2), ends_on=date(2026, 4, 1), visit_plan="inspect")
    visits_generate(today=date(2025, 4, 2), horizon_days=365)
    assert visits_notify_overdue(today=date(2025, 10, 9)) == 0  # due that day: not overdue yet
    assert visits_notify_overdue(today=date(2025, 10, 10)) == 1
    assert visits_notify_overdue(today=date(2025, 10, 11)) == 0
    assert Notification.objects.filter(recipient=manager, kind="visit_overdue").count() == 1


def test_visit_calendar_per_outlet(client, desk_user, dealer, other_dealer, car_model):
    VisitPlan.objects.create(code="inspect", name="年检", onsite_per_year=1)
    for outlet in (dealer, other_dealer):
        contract = ContractFactory(starts_on=date(2025, 4, 2), ends_on=date(2026, 4, 1), visit_plan="inspect")
        contract.units.add(UnitFactory(product_model=car_model, selling_dealer=outlet))
    visits_generate(today=date(2025, 4, 2), horizon_days=365)
    client.force_login(desk_user)
    days = client.get("/cases/visits/", {"when": "all", "outlet": dealer.code}).context["days"]
    assert [visit.outlet for entries in days.values() for visit in entries] == [dealer]


def test_today_page_brings_followups_visits_and_cases_together(client, desk_user, make_user):
    from datetime import timedelta

    from django.utils import timezone

    from aftersales.roles import Role
    from tickets.services.tickets import ticket_create, ticket_transition

    engineer = make_user(Role.ENGINEER)
    ticket = ticket_create(actor=desk_user, channel="phone", reporter_name="x", description="y", severity="minor")
    for action in ("assign", "contact", "resolve"):
        ticket = ticket_transition(ticket=ticket, action=action, actor=desk_user, engineer=engineer)
    open_case = ticket_transition(
        ticket=ticket_create(actor=desk_user, channel="phone", reporter_name="x", description="z", severity="minor"),
        action="assign",
        actor=desk_user,
        engineer=engineer,
    )
    VisitPlan.objects.create(code="inspect", name="年检", onsite_per_year=1)
    today = timezone.localdate()
    ContractFactory(starts_on=today - timedelta(days=183), ends_on=today + timedelta(days=181), visit_plan="inspect")
    visits_generate(today=today - timedelta(days=183), horizon_days=400)
    Visit.objects.update(due_on=today)  # whatever weekday today is
    ticket.followups.update(due_at=timezone.now())
    client.force_login(desk_user)
    desk_page = client.get("/cases/today/", {"when": "week"})
    assert [f.ticket for f in desk_page.context["followups"]] == [ticket]
    assert len(desk_page.context["visits"]) == 1
    client.force_login(engineer)
    engineer_page = client.get("/cases/today/")
    assert list(engineer_page.context["followups"]) == []
    assert [row["ticket"] for row in engineer_page.context["entries"]] == [open_case]


def test_new_visits_go_to_the_outlets_engineers_evenly(make_user, dealer, car_model):
    from aftersales.roles import Role
    from warranty.tests.factories import DealerMemberFactory

    first, second = make_user(Role.ENGINEER), make_user(Role.ENGINEER)
    DealerMemberFactory(user=first, dealer=dealer)
    DealerMemberFactory(user=second, dealer=dealer)
    VisitPlan.objects.create(code="quarterly", name="季度保养", onsite_per_year=4)
    contract = ContractFactory(starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31), visit_plan="quarterly")
    contract.units.add(UnitFactory(product_model=car_model, selling_dealer=dealer))
    visits_generate(today=date(2025, 1, 1), horizon_days=365)
    counts = sorted(Visit.objects.values_list("assigned_to", flat=True))
    assert sorted(counts) == sorted([first.pk, first.pk, second.pk, second.pk])


def test_units_in_warranty_get_the_policys_visits_first_within_six_months(car, car_policy, dealer):
    VisitPlan.objects.create(code="in-warranty", name="质保期内", onsite_per_year=2, first_within_months=6)
    car_policy.visit_plan = "in-warranty"
    car_policy.save()
    car.acceptance_date = date(2025, 3, 10)  # handover; the car policy's whole-unit period is 36 months
    car.save()
    created = visits_generate(today=date(2025, 3, 10), horizon_days=3 * 366)
    visits = list(Visit.objects.filter(unit=car).order_by("due_on"))
    assert created == 6  # 2 a year for 3 years
    assert visits[0].due_on <= date(2025, 9, 10)  # the first within 6 months of handover
    assert {visit.outlet for visit in visits} == {dealer}
    assert visits_generate(today=date(2025, 3, 10), horizon_days=3 * 366) == 0
