import os
import secrets
import subprocess
import sys

from aftersales.embedded import BASE_DIR
from aftersales.launcher import describe


def manage(*args, **env):
    environment = {**os.environ, **env}
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests, never in deployment
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=120
    )


PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "aftersales.settings.base",
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "aftersales.example.com",
}


def test_check_deploy_is_silent_with_production_variables():
    result = manage("check", "--deploy", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced).", result.stdout + result.stderr
    assert "WARNINGS" not in result.stderr


def test_secret_key_is_required_when_debug_is_off():
    result = manage("check", **{**PRODUCTION, "DJANGO_SECRET_KEY": ""})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_no_migration_is_missing():
    result = manage("makemigrations", "--check", "--dry-run", DJANGO_SETTINGS_MODULE="aftersales.settings.test")
    assert result.returncode == 0, result.stdout + result.stderr


def test_describe_hides_credentials():
    assert describe("postgres://user:secret@db.internal:5432/aftersales") == "db.internal:5432/aftersales"
    assert describe("postgresql://postgres:@/aftersales?host=/srv/pg") == "socket host=/srv/pg"


def test_test_database_url_points_child_processes_at_the_test_database(db):
    import psycopg2

    from aftersales.testing import test_database_url

    with psycopg2.connect(test_database_url()) as child, child.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        assert cursor.fetchone()[0].startswith("test_")


def import_settings(**env):
    """Import the production settings module in a fresh interpreter with exactly these variables."""
    environment = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    environment.pop("AFTERSALES_EMBEDDED", None)
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import aftersales.settings.base"],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_settings_without_database_url_in_production_refuse_to_start():
    result = import_settings(**{**PRODUCTION, "REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert result.returncode != 0
    assert "DATABASE_URL must be set when DJANGO_DEBUG is off" in result.stderr


def test_settings_without_redis_url_in_production_refuse_to_start():
    result = import_settings(**{**PRODUCTION, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/aftersales"})
    assert result.returncode != 0
    assert "REDIS_URL must be set when DJANGO_DEBUG is off" in result.stderr


def test_settings_with_both_urls_in_production_import_without_starting_embedded_servers(tmp_path):
    result = import_settings(
        **PRODUCTION,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/aftersales",
        REDIS_URL="redis://127.0.0.1:6379/0",
        AFTERSALES_DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "postgres").exists() and not (tmp_path / "redis").exists()
