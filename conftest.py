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
def desk_api(api_client, desk_user):
    api_client.force_authenticate(desk_user)
    return api_client
