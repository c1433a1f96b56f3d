import importlib

import pytest
from rest_framework.test import APIClient

from aftersales.roles import Role, sync_role_groups
from aftersales.tests.factories import UserFactory


@pytest.fixture
def roles(db):
    sync_role_groups()


@pytest.fixture
def make_user(roles):
    def make(role: str | None = None, **kwargs):
        return UserFactory(role=role, **kwargs)

    return make


@pytest.fixture
def desk_user(make_user):
    return make_user(Role.SERVICE_DESK)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def manager_user(make_user):
    return make_user(Role.SERVICE_MANAGER)


@pytest.fixture
def manager_api(manager_user):
    """A service manager's client: may do every action on every case (tickets.permissions)."""
    client = APIClient()
    client.force_authenticate(manager_user)
    return client


@pytest.fixture
def desk_api(api_client, desk_user):
    api_client.force_authenticate(desk_user)
    return api_client


@pytest.fixture(autouse=True)
def _fresh_broker_connections():
    """Each test sends its tasks to the broker configured while it runs: connections and producers the
    Celery app pooled during an earlier test (perhaps on a throw-away Redis, or under overridden settings)
    are dropped after every test."""
    yield
    from aftersales.testing import forget_broker_connections

    forget_broker_connections()


@pytest.fixture(autouse=True)
def _migration_data_after_flush(request):
    """Tests that flush the database (transactional ones, the live server's) lose the rows that data
    migrations installed, and pytest-django's serialized rollback does not restore them around the live
    server. Put the default SLA set-up back when it is missing."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "live_server" in request.fixturenames or (marker and marker.kwargs.get("transaction"))
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    from tickets.models import SLAPolicy

    if not SLAPolicy.objects.filter(is_default=True).exists():
        importlib.import_module("tickets.migrations.0002_default_sla").install(apps, None)
        importlib.import_module("tickets.migrations.0007_default_ladder").install(apps, None)
