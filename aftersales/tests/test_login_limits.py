"""Logins cannot be brute-forced: per account and per client address, on the page and the token endpoint."""

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from aftersales.auth import LOGIN_LOCKED
from aftersales.roles import Role
from aftersales.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
LIMIT = django_settings.AXES_FAILURE_LIMIT


@pytest.fixture
def desk(make_user):
    return make_user(Role.SERVICE_DESK, username="desk1", language="en")


def token(client, username, password, **headers):
    return client.post("/api/v1/auth/token/", {"username": username, "password": password}, format="json", **headers)


def page_login(client, username, password, **headers):
    return client.post("/accounts/login/", {"username": username, "password": password}, **headers)


def test_token_wrong_passwords_with_changing_forwarded_for_are_locked_out(desk):
    client = APIClient()
    answers = [
        token(client, "desk1", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{index}").status_code
        for index in range(1, LIMIT + 1)
    ]
    assert answers == [400] * (LIMIT - 1) + [429]
    locked = token(client, "desk1", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7", HTTP_ACCEPT_LANGUAGE="en")
    assert locked.status_code == 429
    assert locked.json()["code"] == LOGIN_LOCKED
    assert "Too many failed logins" in locked.json()["message"]
    assert int(locked["Retry-After"]) == django_settings.AXES_COOLOFF_TIME.total_seconds()
    assert "token" not in locked.json()


def test_token_sixty_wrong_passwords_never_get_past_the_limit(desk):
    client = APIClient()
    codes = {
        token(client, "desk1", f"guess{index}", HTTP_X_FORWARDED_FOR=f"10.1.{index}.9").status_code
        for index in range(60)
    }
    assert 429 in codes and 200 not in codes
    assert token(client, "desk1", PASSWORD).status_code == 429


def test_token_lockout_message_is_translated(desk):
    client = APIClient()
    for _ in range(LIMIT):
        token(client, "desk1", "wrong")
    locked = token(client, "desk1", PASSWORD, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.json()["message"]


def test_login_page_limit_holds_and_right_password_then_does_not_log_in(client, desk):
    for _ in range(LIMIT - 1):
        assert page_login(client, "desk1", "wrong").status_code == 200
    assert page_login(client, "desk1", "wrong").status_code == 429
    response = page_login(client, "desk1", PASSWORD, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/accounts/me/").status_code == 302  # still sent to the login page


def test_login_page_forty_wrong_then_right_stays_logged_out(client, desk):
    for index in range(40):
        page_login(client, "desk1", f"guess{index}", HTTP_X_FORWARDED_FOR=f"192.0.2.{index}")
    response = page_login(client, "desk1", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_login_page_locked_message_is_translated(client, desk):
    for _ in range(LIMIT):
        page_login(client, "desk1", "wrong")
    response = page_login(client, "desk1", PASSWORD, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()


def test_address_with_many_failed_usernames_is_locked_for_every_account(desk):
    client = APIClient()
    for index in range(LIMIT):
        token(client, f"nobody{index}", "wrong", REMOTE_ADDR="198.51.100.20")
    assert token(client, "desk1", PASSWORD, REMOTE_ADDR="198.51.100.20").status_code == 429
    # The account itself is not locked: from another address it logs in.
    assert token(client, "desk1", PASSWORD, REMOTE_ADDR="198.51.100.21").status_code == 200


def test_account_lockout_holds_from_every_address(desk):
    client = APIClient()
    for index in range(LIMIT):
        token(client, "desk1", "wrong", REMOTE_ADDR=f"198.51.100.{30 + index}")
    assert token(client, "desk1", PASSWORD, REMOTE_ADDR="198.51.100.99").status_code == 429


def test_trusted_proxy_takes_the_address_the_proxy_saw_not_the_clients_own_entries(desk, make_user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    make_user(Role.SERVICE_DESK, username="desk2")
    client = APIClient()
    # The attacker prepends a different fake address every time; the proxy appends the real one.
    for index in range(LIMIT):
        token(client, f"nobody{index}", "wrong", HTTP_X_FORWARDED_FOR=f"10.9.9.{index}, 203.0.113.50")
    assert token(client, "desk1", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.50").status_code == 429
    # Another client behind the same proxy (same REMOTE_ADDR) is not affected.
    assert token(client, "desk2", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.51").status_code == 200


def test_forwarded_for_is_ignored_unless_a_proxy_is_configured(desk, make_user):
    assert django_settings.TRUSTED_PROXY_COUNT == 0
    make_user(Role.SERVICE_DESK, username="desk2")
    client = APIClient()
    for index in range(LIMIT):
        token(client, f"nobody{index}", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.60")
    # Same REMOTE_ADDR, whatever the header says: locked.
    assert token(client, "desk2", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.61").status_code == 429


def test_admin_sees_and_clears_a_lockout(client, desk, make_user):
    api = APIClient()
    for _ in range(LIMIT):
        token(api, "desk1", "wrong", REMOTE_ADDR="198.51.100.70")
    assert token(api, "desk1", PASSWORD, REMOTE_ADDR="198.51.100.71").status_code == 429

    admin = make_user(Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin)
    listing = client.get("/admin/axes/accessattempt/?q=desk1")
    assert listing.status_code == 200
    assert "desk1" in listing.content.decode() and "198.51.100.70" in listing.content.decode()

    from axes.models import AccessAttempt

    ids = [str(pk) for pk in AccessAttempt.objects.filter(username="desk1").values_list("pk", flat=True)]
    cleared = client.post(
        "/admin/axes/accessattempt/", {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
    )
    assert cleared.status_code == 302
    assert not AccessAttempt.objects.filter(username="desk1").exists()
    assert token(api, "desk1", PASSWORD, REMOTE_ADDR="198.51.100.71").status_code == 200
