from decimal import Decimal

import pytest

from aftersales.roles import Role
from aftersales.testing import QueryCounter
from tickets.models import Ticket
from tickets.services.tickets import ticket_create, ticket_transition
from tickets.services.work import charge_line_add, worklog_add

pytestmark = pytest.mark.django_db


def version(ticket) -> int:
    """The version the case page would show now (its forms send it back)."""
    return Ticket.objects.values_list("version", flat=True).get(pk=ticket.pk)


@pytest.fixture
def engineer(make_user):
    return make_user(Role.ENGINEER, first_name="建国", last_name="王")


def new(desk_user, **extra):
    return ticket_create(
        actor=desk_user, channel="phone", reporter_name="x", description="y", severity="minor", **extra
    )


def page_queries(client, url, user):
    user.__dict__.pop("_roles", None)
    with QueryCounter() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count


def test_case_page_query_count_does_not_grow_with_work(client, desk_user, engineer):
    client.force_login(desk_user)
    quiet = new(desk_user)
    busy = new(desk_user)
    busy = ticket_transition(ticket=busy, action="assign", actor=desk_user, engineer=engineer)
    busy = ticket_transition(ticket=busy, action="check_in", actor=engineer)
    for index in range(10):
        worklog_add(ticket=busy, actor=engineer, kind="call", summary=f"call {index}")
        charge_line_add(
            ticket=busy, actor=engineer, kind="labour", description="检测", quantity=Decimal(1), unit_price=Decimal(10)
        )
    assert page_queries(client, f"/cases/{quiet.pk}/", desk_user) == page_queries(
        client, f"/cases/{busy.pk}/", desk_user
    )


def test_queue_query_count_is_constant_and_sorted_by_next_deadline(client, desk_user):
    client.force_login(desk_user)
    for _ in range(3):
        new(desk_user)
    few = page_queries(client, "/cases/", desk_user)
    urgent = ticket_create(actor=desk_user, channel="phone", reporter_name="x", description="y", severity="critical")
    for _ in range(20):
        new(desk_user)
    assert page_queries(client, "/cases/", desk_user) == few
    entries = client.get("/cases/").context["entries"]
    assert entries[0]["number"] == urgent.number  # its first response is due in 10 minutes, the others' in 60


def test_action_form_moves_the_case_and_shows_refusals(client, desk_user, engineer):
    ticket = new(desk_user)
    client.force_login(desk_user)
    response = client.post(f"/cases/{ticket.pk}/action/assign/", {"engineer": engineer.pk, "version": 1})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "assigned" and ticket.assigned_engineer == engineer
    refused = client.post(f"/cases/{ticket.pk}/action/close/", {"version": version(ticket)}, follow=True)
    assert any("close" in str(message) for message in refused.context["messages"])
    ticket.refresh_from_db()
    assert ticket.status == "assigned"


def test_my_cases_lists_only_the_engineers_open_cases(client, desk_user, engineer, make_user):
    mine = ticket_transition(ticket=new(desk_user), action="assign", actor=desk_user, engineer=engineer)
    other = make_user(Role.ENGINEER)
    ticket_transition(ticket=new(desk_user), action="assign", actor=desk_user, engineer=other)
    client.force_login(engineer)
    entries = client.get("/cases/mine/").context["entries"]
    assert [row["ticket"] for row in entries] == [mine]


def test_dealer_cannot_open_another_outlets_case_page(client, desk_user, dealer_user, other_dealer):
    ticket = new(desk_user, serving_outlet=other_dealer)
    client.force_login(dealer_user)
    assert client.get(f"/cases/{ticket.pk}/").status_code == 404
    assert client.post(f"/cases/{ticket.pk}/action/cancel/").status_code == 404


def test_intake_page_opens_a_case_for_a_unit(client, desk_user, car):
    client.force_login(desk_user)
    response = client.post(
        "/cases/new/",
        {
            "channel": "phone",
            "reporter_name": "赵女士",
            "serial": car.serial,
            "severity": "major",
            "description": "异响",
        },
    )
    assert response.status_code == 302
    unknown = client.post(
        "/cases/new/",
        {"channel": "phone", "reporter_name": "赵女士", "serial": "NOPE", "severity": "major", "description": "异响"},
    )
    assert unknown.status_code == 200 and "serial" in unknown.context["form"].errors


def test_quotation_loaner_and_escalation_from_the_case_page(client, desk_user, manager_user, engineer):
    ticket = ticket_transition(ticket=new(desk_user), action="assign", actor=desk_user, engineer=engineer)
    client.force_login(manager_user)
    client.post(
        f"/cases/{ticket.pk}/add/quotation/",
        {"kind_1": "labour", "description_1": "检测", "quantity_1": "2", "kind_2": "part", "version": version(ticket)},
    )
    quotation = ticket.quotations.get()
    assert (quotation.status, len(quotation.lines)) == ("sent", 1)
    client.post(
        f"/cases/{ticket.pk}/add/decision/", {"approved": "yes", "customer_name": "陈先生", "version": version(ticket)}
    )
    quotation.refresh_from_db()
    assert quotation.status == "approved"
    client.post(
        f"/cases/{ticket.pk}/add/loaner/", {"description": "备用机", "serial": "B1", "version": version(ticket)}
    )
    loaner = ticket.loaners.get()
    client.post(f"/cases/{ticket.pk}/loaners/{loaner.pk}/return/", {"version": version(ticket)})
    loaner.refresh_from_db()
    assert loaner.returned_at is not None
    client.post(f"/cases/{ticket.pk}/add/escalate/", {"plan": "启用备用设备", "version": version(ticket)})
    ticket.refresh_from_db()
    assert ticket.emergency_plan == "启用备用设备"
    page = client.get(f"/cases/{ticket.pk}/").content.decode()
    assert "启用备用设备" in page and "备用机" in page


def test_case_page_shows_escalation_history_and_inbox_acknowledges(client, desk_user, engineer):
    from datetime import timedelta

    from django.utils import timezone

    from tickets.models import Escalation
    from tickets.services.escalation import sla_sweep

    reported = timezone.now() - timedelta(minutes=30)
    ticket = ticket_create(
        actor=desk_user,
        channel="phone",
        reporter_name="x",
        description="y",
        severity="critical",
        reported_at=reported,
        now=reported,
    )
    ticket_transition(ticket=ticket, action="assign", actor=desk_user, engineer=engineer, now=reported)
    sla_sweep(now=timezone.now())
    client.force_login(engineer)
    assert 'data-testid="unread"' in client.get("/").content.decode()
    page = client.get(f"/cases/{ticket.pk}/").content.decode()
    assert 'data-testid="escalations"' in page
    notification = engineer.notifications.get()
    client.post(f"/cases/inbox/{notification.pk}/read/", {"acknowledge": "1"})
    assert Escalation.objects.get(pk=notification.escalation_id).acknowledged_by == engineer
    assert 'data-testid="unread"' not in client.get("/").content.decode()


def test_queue_keeps_deadline_order_across_pages(client, desk_user):
    # 55 minor cases reported now (first response due in 60 min) and one critical reported earlier
    # (due 10 min after its report): the critical one heads page 1 although it is the oldest.
    from datetime import timedelta

    from django.utils import timezone

    urgent = ticket_create(
        actor=desk_user,
        channel="phone",
        reporter_name="x",
        description="y",
        severity="critical",
        reported_at=timezone.now() - timedelta(minutes=5),
    )
    for _ in range(55):
        new(desk_user)
    client.force_login(desk_user)
    first_page = client.get("/cases/").context["entries"]
    assert first_page[0]["number"] == urgent.number
    by_report = client.get("/cases/", {"sort": "reported"}).context["entries"]
    assert urgent.number not in [row["number"] for row in by_report]  # the oldest: page 2 when sorted by report time


def test_queue_pages_keep_the_filters(client, desk_user, engineer):
    from tickets.views import CappedPaginator

    client.force_login(desk_user)
    minor = [new(desk_user) for _ in range(55)]
    for _ in range(3):
        ticket_create(actor=desk_user, channel="phone", reporter_name="x", description="y", severity="major")
    first = client.get("/cases/", {"severity": "minor", "status": ["new", "assigned"], "sort": "reported"})
    html = first.content.decode()
    assert "page 1 of 2" in html or "共 2 页" in html
    link = html.split('class="pagination"')[1].split('href="')[1].split('"')[0].replace("&amp;", "&")
    assert "severity=minor" in link and "status=new" in link and "status=assigned" in link and "page=2" in link
    second = client.get("/cases/" + link)
    listed = [row["number"] for row in first.context["entries"]] + [row["number"] for row in second.context["entries"]]
    assert sorted(listed) == sorted(t.number for t in minor)  # every minor case once, no major one
    # Past the cap the queue does not count every open case: it says so.
    paginator = CappedPaginator(Ticket.objects.order_by("id"), 10)
    paginator.cap = 20
    assert (paginator.count, paginator.num_pages, paginator.num_pages_label) == (21, 2, "2+")
