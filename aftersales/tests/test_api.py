import pytest
from django.urls import reverse

from aftersales.models import UserEvent
from aftersales.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_token_valid_credentials_returns_token_that_authenticates(api_client, desk_user):
    response = api_client.post("/api/v1/auth/token/", {"username": desk_user.username, "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    assert len(token) == 40

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api_client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["username"] == desk_user.username
    assert me.json()["roles"] == ["service_desk"]
    assert UserEvent.objects.filter(user=desk_user, kind=UserEvent.Kind.TOKEN_ISSUED).count() == 1


def test_token_second_login_returns_same_token_and_one_event(api_client, desk_user):
    first = api_client.post("/api/v1/auth/token/", {"username": desk_user.username, "password": PASSWORD}).json()
    second = api_client.post("/api/v1/auth/token/", {"username": desk_user.username, "password": PASSWORD}).json()
    assert first == second
    assert UserEvent.objects.filter(user=desk_user, kind=UserEvent.Kind.TOKEN_ISSUED).count() == 1


def test_token_wrong_password_is_400_with_stable_code(api_client, desk_user):
    response = api_client.post("/api/v1/auth/token/", {"username": desk_user.username, "password": "nope"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"
    assert set(response.json()) == {"code", "message", "details"}


def test_token_missing_and_unknown_fields_are_listed_per_field(api_client):
    response = api_client.post("/api/v1/auth/token/", {"username": "x", "otp": "1"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "otp" in body["details"]


def test_token_delete_revokes_it(api_client, desk_user):
    token = api_client.post("/api/v1/auth/token/", {"username": desk_user.username, "password": PASSWORD}).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token['token']}")
    assert api_client.delete("/api/v1/auth/token/").status_code == 204
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_unauthenticated_request_is_401_json(api_client):
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_unknown_api_url_is_404_json(desk_api):
    response = desk_api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_me_patch_changes_language_and_time_zone_and_records_event(desk_api, desk_user):
    response = desk_api.patch("/api/v1/me/", {"language": "en", "time_zone": "Europe/Berlin"}, format="json")
    assert response.status_code == 200
    assert response.json()["language"] == "en"
    desk_user.refresh_from_db()
    assert (desk_user.language, desk_user.time_zone) == ("en", "Europe/Berlin")
    event = UserEvent.objects.get(user=desk_user, kind=UserEvent.Kind.PREFERENCES_CHANGED)
    assert event.data == {"language": ["zh-hans", "en"], "time_zone": ["Asia/Shanghai", "Europe/Berlin"]}


def test_me_patch_unknown_time_zone_is_400_and_changes_nothing(desk_api, desk_user):
    response = desk_api.patch("/api/v1/me/", {"language": "en", "time_zone": "Mars/Olympus"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_time_zone"
    assert "time_zone" in response.json()["details"]
    desk_user.refresh_from_db()
    assert desk_user.language == "zh-hans"
    assert not UserEvent.objects.filter(user=desk_user).exists()


def test_me_patch_unknown_field_is_refused(desk_api):
    response = desk_api.patch("/api/v1/me/", {"is_superuser": True}, format="json")
    assert response.status_code == 400
    assert response.json()["details"] == {"is_superuser": ["未知字段。"]}  # the user reads Chinese


def test_error_message_follows_token_users_language(api_client, make_user):
    user = make_user("engineer", language="en")
    token = api_client.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token['token']}")
    english = api_client.patch("/api/v1/me/", {"time_zone": "Nowhere/Land"}, format="json").json()
    api_client.patch("/api/v1/me/", {"language": "zh-hans"}, format="json")
    chinese = api_client.patch("/api/v1/me/", {"time_zone": "Nowhere/Land"}, format="json").json()
    assert english["message"] == "Unknown time zone."
    assert chinese["message"] == "未知的时区。"


def test_my_events_lists_only_own_events_newest_first(desk_api, desk_user, make_user):
    other = make_user("engineer")
    desk_api.patch("/api/v1/me/", {"language": "en"}, format="json")
    desk_api.patch("/api/v1/me/", {"language": "zh-hans"}, format="json")
    desk_api.force_authenticate(other)
    desk_api.patch("/api/v1/me/", {"language": "en"}, format="json")
    desk_api.force_authenticate(desk_user)
    response = desk_api.get(reverse("api-me-events"))
    assert response.status_code == 200
    results = response.json()["results"]
    assert [event["data"]["language"] for event in results] == [["en", "zh-hans"], ["zh-hans", "en"]]
    assert response.json()["count"] == 2
