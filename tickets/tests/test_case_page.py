from decimal import Decimal

import pytest

from aftersales.errors import ApplicationError, StaleVersionError
from aftersales.roles import Role
from tickets.casepage import error_messages
from tickets.models import Ticket
from tickets.services.tickets import ticket_create, ticket_transition
from tickets.services.work import charge_line_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def engineer(make_user):
    return make_user(Role.ENGINEER, first_name="建国", last_name="王")


def working(desk_user, engineer, **extra):
    ticket = ticket_create(
        actor=desk_user, channel="phone", reporter_name="x", description="y", severity="minor", **extra
    )
    ticket = ticket_transition(ticket=ticket, action="assign", actor=desk_user, engineer=engineer)
    return ticket_transition(ticket=ticket, action="check_in", actor=engineer)


def test_charge_line_labour_on_a_covered_case_needs_no_rate_and_is_free(desk_user, engineer, car):
    ticket = working(desk_user, engineer, unit=car)
    assert ticket.coverage.covered
    line = charge_line_add(ticket=ticket, actor=engineer, kind="labour", description="", quantity=Decimal("1.5"))
    assert (line.quantity, line.unit_price, line.amount, line.charged) == (Decimal("1.5"), 0, 0, False)


def test_charge_line_labour_on_an_uncovered_case_still_needs_its_rate(desk_user, engineer):
    ticket = working(desk_user, engineer)
    with pytest.raises(ApplicationError) as refused:
        charge_line_add(ticket=ticket, actor=engineer, kind="labour", description="", quantity=Decimal("1.5"))
    assert refused.value.code == "price_required"


def test_error_messages_never_show_the_version_or_action_codes():
    stale = StaleVersionError("stale_version", "Someone else changed it.", details={"version": ["2"]})
    assert error_messages(stale) == {None: ["Someone else changed it."]}
    refused = ApplicationError("invalid_transition", "Not now.", details={"allowed": ["assign", "cancel"]})
    assert error_messages(refused) == {None: ["Not now."]}
    upload = ApplicationError("attachment_invalid", "Too big.", details={"file": ["Too big."]})
    assert error_messages(upload) == {"file": ["Too big."]}  # once, beside the field


def test_htmx_form_gets_the_case_part_with_the_error_beside_the_field(client, desk_user, engineer):
    ticket = working(desk_user, engineer)
    client.force_login(engineer)
    body = {"kind": "part", "part_number": "P1", "quantity": "two"}
    partial = client.post(f"/cases/{ticket.pk}/add/charge/", body, HTTP_HX_REQUEST="true")
    html = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in html and html.lstrip().startswith('<div id="case"')
    assert 'data-field="quantity"' in html and 'value="two"' in html and "quantity:" not in html
    whole = client.post(f"/cases/{ticket.pk}/add/charge/", body)
    assert whole.status_code == 400 and "<html" in whole.content.decode() and 'value="two"' in whole.content.decode()
    assert not ticket.charge_lines.exists()


def test_complaint_answer_form_answers_the_open_complaint(client, desk_user, engineer):
    ticket = working(desk_user, engineer)
    Ticket.objects.filter(pk=ticket.pk).update(complaint_due_at=ticket.reported_at)
    client.force_login(desk_user)
    page = client.get(f"/cases/{ticket.pk}/").content.decode()
    assert 'data-testid="complaint-badge"' in page and f"/cases/{ticket.pk}/add/complaint/" in page
    version = Ticket.objects.get(pk=ticket.pk).version
    client.post(f"/cases/{ticket.pk}/add/complaint/", {"answer": "已道歉", "version": version})
    ticket.refresh_from_db()
    assert ticket.complaint_answered_at is not None
    assert ticket.events.get(kind="complaint_answered").data == {"answer": "已道歉", "late": True}


def test_complaint_shows_a_dealer_only_its_own_people_among_those_told(
    client, desk_user, engineer, make_user, dealer, dealer_user
):
    """The complaint went to the manufacturer's managers and to the dealer's own: the dealer's staff read
    their own people's names, the others only counted."""
    from django.utils import timezone

    from tickets.models import Notification
    from warranty.tests.factories import DealerMemberFactory

    ticket = working(desk_user, engineer, serving_outlet=dealer)
    Ticket.objects.filter(pk=ticket.pk).update(complaint_due_at=ticket.reported_at)
    makers = make_user(Role.SERVICE_MANAGER, first_name="厂方", last_name="赵")
    ours = make_user(Role.SERVICE_MANAGER, first_name="店长", last_name="钱")
    DealerMemberFactory(user=ours, dealer=dealer)
    for person in (makers, ours):
        Notification.objects.create(
            recipient=person, kind="complaint", title="t", body="b", ticket=ticket, created_at=timezone.now()
        )
    client.force_login(dealer_user)
    page = client.get(f"/cases/{ticket.pk}/").content.decode()  # the user reads Chinese
    assert ours.get_full_name() in page
    assert makers.get_full_name() not in page
    assert "厂方或其他经销商的 1 人" in page
    client.force_login(desk_user)
    page = client.get(f"/cases/{ticket.pk}/").content.decode()
    assert makers.get_full_name() in page and ours.get_full_name() in page
