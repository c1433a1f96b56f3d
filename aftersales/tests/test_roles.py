import pytest
from django.contrib.auth.models import Group, Permission

from aftersales.roles import Role

pytestmark = pytest.mark.django_db


def test_every_role_has_a_group(roles):
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)


def test_admin_role_has_every_permission(roles):
    assert Group.objects.get(name=Role.ADMIN).permissions.count() == Permission.objects.count()


def test_role_permissions_are_granted(roles):
    desk = Group.objects.get(name=Role.SERVICE_DESK)
    assert desk.permissions.filter(codename="view_user").exists()
    # Dealer staff hold the claims portal's permissions and nothing else (no admin or account data).
    dealer = Group.objects.get(name=Role.DEALER_STAFF).permissions
    assert set(dealer.values_list("codename", flat=True)) == {"view_claim", "submit_claim"}


def nav_labels(client, user):
    client.force_login(user)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    return [str(item["label"]) for item in response.context["nav_items"]]


@pytest.mark.parametrize(
    ("role", "sees_api", "sees_admin"),
    [
        (Role.SERVICE_DESK, True, False),
        (Role.ENGINEER, True, False),
        (Role.DEALER_STAFF, False, False),
        (Role.ADMIN, True, True),
    ],
)
def test_navigation_depends_on_role(client, make_user, role, sees_api, sees_admin):
    labels = nav_labels(client, make_user(role, language="en"))
    assert "Home" in labels
    assert ("API" in labels) is sees_api
    assert ("Administration" in labels) is sees_admin
