"""Test helpers for the case API: a change of a case sends the version the client read, as clients must."""

URL = "/api/v1/tickets/"


def act(client, pk, path: str, body: dict | None = None, format: str = "json", **extra):
    """POST a case action with the case's current version (unless the body names one)."""
    body = dict(body or {})
    if "version" not in body:
        current = client.get(f"{URL}{pk}/")
        body["version"] = current.json()["version"] if current.status_code == 200 else 1
    return client.post(f"{URL}{pk}/{path}/", body, format=format, **extra)
