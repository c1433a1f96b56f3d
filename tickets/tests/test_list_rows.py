"""Case lists at a fixed number of statements, and the API list's one-pass rows equal to the serializer's."""

import pytest

from aftersales.roles import Role
from tickets.api import serializers
from tickets.models import SLAPolicy, Ticket
from tickets.selectors import with_related
from tickets.services.tickets import ticket_create, ticket_transition
from tickets.tests.factories import policy_with_ladder
from tickets.tests.test_pages import page_queries
from warranty.models import Site
from warranty.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def new_case(desk_user, number: int, severity_code: str = "minor", **extra):
    customer = CustomerFactory(name=f"客户{number}", phone=f"1390000{number:04d}")
    site = Site.objects.create(customer=customer, name=f"站点{number}", address=f"{number} 路 1 号")
    return ticket_create(
        actor=desk_user,
        channel="phone",
        reporter_name="x",
        description="y",
        severity=severity_code,
        customer=customer,
        site=site,
        **extra,
    )


def test_my_cases_statements_do_not_grow_with_cases_on_sites(client, desk_user, make_user):
    engineer = make_user(Role.ENGINEER)
    ticket_transition(ticket=new_case(desk_user, 0), action="assign", actor=desk_user, engineer=engineer)
    client.force_login(engineer)
    one = page_queries(client, "/cases/mine/", engineer)
    for number in range(1, 6):
        ticket_transition(ticket=new_case(desk_user, number), action="assign", actor=desk_user, engineer=engineer)
    response = client.get("/cases/mine/")
    assert len(response.context["entries"]) == 6
    assert "5 路 1 号" in response.content.decode()
    assert page_queries(client, "/cases/mine/", engineer) == one


def test_api_list_rows_equal_the_case_serializer(desk_api, desk_user, make_user):
    engineer = make_user(Role.ENGINEER)
    for number in range(4):
        case = new_case(desk_user, number)
        if number % 2:
            ticket_transition(ticket=case, action="assign", actor=desk_user, engineer=engineer)
    response = desk_api.get("/api/v1/tickets/?page_size=50")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == 4
    assert any(row["assigned_engineer"] == engineer.username for row in rows)

    class Reference(serializers.TicketSerializer):
        class Meta(serializers.TicketSerializer.Meta):
            fields = serializers.TicketListSerializer.Meta.fields

    request = response.wsgi_request
    request.user = desk_user
    tickets = with_related(Ticket.objects.filter(pk__in=[row["id"] for row in rows])).order_by("-reported_at", "-id")
    expected = [dict(Reference(t, context={"request": request}).data) for t in tickets]
    for item in expected:
        item["timers"] = [dict(timer) for timer in item["timers"]]
    assert rows == expected
    assert all(row["timers"] and row["allowed_actions"] for row in rows)


def test_a_severity_filter_finds_that_severity_under_every_policy(desk_api, desk_user, client):
    """Each SLA policy (and each version of one) has severity rows of its own: "major" names all of them."""
    default = SLAPolicy.objects.get(is_default=True)
    other = policy_with_ladder(code="GOLD", calendar=default.calendar)
    under_default = new_case(desk_user, 1, severity_code="major")
    under_other = new_case(desk_user, 2, severity_code="major", sla_policy=other)
    minor = new_case(desk_user, 3)
    assert under_default.severity_id != under_other.severity_id

    def listed(severity):
        response = desk_api.get("/api/v1/tickets/", {"severity": severity})
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert listed("major") == {under_default.pk, under_other.pk}
    assert listed("minor") == {minor.pk}
    assert listed("nonexistent") == set()
    client.force_login(desk_user)
    page = client.get("/cases/", {"severity": "major"}).content.decode()
    assert under_default.number in page and under_other.number in page and minor.number not in page
