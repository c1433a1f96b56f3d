import datetime
import zoneinfo

import pytest
from django.utils import timezone

from aftersales.demo import DEMO_USERS, seed_users
from aftersales.models import User, UserEvent
from aftersales.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese_by_default(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.content.decode()
    assert "登录" in response.content.decode()


def test_login_page_follows_accept_language_for_anonymous_users(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Log in" in response.content.decode()


def test_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("demo", DEMO_USERS, ids=lambda demo: demo.username)
def test_every_demo_user_can_log_in(client, demo):
    seed_users()
    response = client.post("/accounts/login/", {"username": demo.username, "password": demo.password})
    assert response.status_code == 302, f"{demo.username} could not log in"
    home = client.get(response["Location"], follow=True)  # the managers land on their dashboard
    assert home.status_code == 200
    assert home.context["user"].username == demo.username
    assert demo.role.value in home.context["user"].roles


def test_seed_users_is_idempotent():
    assert len(seed_users()) == len(DEMO_USERS)
    assert seed_users() == []
    assert User.objects.count() == len(DEMO_USERS)


def test_home_shows_user_language_over_browser_language(client, make_user):
    user = make_user("engineer", language="en")
    client.force_login(user)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "Welcome" in response.content.decode()
    assert '<html lang="en">' in response.content.decode()


def test_home_shows_time_in_user_time_zone(client, make_user):
    user = make_user("engineer", time_zone="America/New_York")
    client.force_login(user)
    response = client.get("/")
    now = response.context["now"]
    expected = timezone.localtime(now, zoneinfo.ZoneInfo("America/New_York")).strftime("%Y-%m-%d %H:%M")
    assert expected in response.content.decode()
    assert "America/New_York" in response.content.decode()


def test_language_switch_stores_choice_on_user(client, desk_user):
    client.force_login(desk_user)
    response = client.post("/i18n/language/", {"language": "en", "next": "/accounts/me/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/me/"
    desk_user.refresh_from_db()
    assert desk_user.language == "en"
    assert "My account" in client.get("/accounts/me/").content.decode()


def test_language_switch_refuses_offsite_next(client, desk_user):
    client.force_login(desk_user)
    response = client.post("/i18n/language/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_language_switch_unknown_language_changes_nothing(client, desk_user):
    client.force_login(desk_user)
    client.post("/i18n/language/", {"language": "fr"})
    desk_user.refresh_from_db()
    assert desk_user.language == "zh-hans"


def test_language_switch_for_anonymous_sets_cookie(client):
    response = client.post("/i18n/language/", {"language": "en", "next": "/accounts/login/"})
    assert response.cookies["django_language"].value == "en"
    assert "Log in" in client.get("/accounts/login/").content.decode()


def test_account_page_saves_time_zone(client, desk_user):
    client.force_login(desk_user)
    response = client.post("/accounts/me/", {"language": "zh-hans", "time_zone": "Asia/Urumqi"})
    assert response.status_code == 302
    desk_user.refresh_from_db()
    assert desk_user.time_zone == "Asia/Urumqi"


def test_account_page_rejects_unknown_time_zone(client, desk_user):
    client.force_login(desk_user)
    response = client.post("/accounts/me/", {"language": "zh-hans", "time_zone": "Nowhere/Land"})
    assert response.status_code == 200
    assert response.context["form"].errors["time_zone"]
    desk_user.refresh_from_db()
    assert desk_user.time_zone == "Asia/Shanghai"


def test_password_change_keeps_session_and_records_event(client, desk_user):
    client.force_login(desk_user)
    new = "another-long-password-77"
    response = client.post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # still logged in
    desk_user.refresh_from_db()
    assert desk_user.check_password(new)
    assert UserEvent.objects.filter(user=desk_user, kind=UserEvent.Kind.PASSWORD_CHANGED).exists()


def test_password_change_wrong_old_password_changes_nothing(client, desk_user):
    client.force_login(desk_user)
    response = client.post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password1": "x-long-pass-99", "new_password2": "x-long-pass-99"},
    )
    assert response.status_code == 200
    desk_user.refresh_from_db()
    assert desk_user.check_password(PASSWORD)


def test_logout_ends_session(client, desk_user):
    client.force_login(desk_user)
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_account_history_shows_events_in_user_zone(client, desk_user):
    at = datetime.datetime(2026, 1, 1, 0, 30, tzinfo=datetime.UTC)
    UserEvent.objects.create(user=desk_user, actor=desk_user, kind=UserEvent.Kind.PASSWORD_CHANGED, at=at)
    client.force_login(desk_user)
    assert "2026-01-01 08:30" in client.get("/accounts/me/").content.decode()


def test_chinese_names_are_written_family_name_first(make_user):
    assert make_user(first_name="小红", last_name="李").get_full_name() == "李小红"
    assert make_user(first_name="Ada", last_name="Lovelace").get_full_name() == "Ada Lovelace"
