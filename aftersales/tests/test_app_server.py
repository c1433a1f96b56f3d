"""The application server and its deployment settings: gunicorn serves pages and static files (whitenoise),
uploads go to S3-compatible storage when a bucket is named, and dashboards and exports read from the
replica when one is configured."""

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.conf import settings
from django.db import connections
from django.test import override_settings

from aftersales.db_router import ReplicaRouter, replica_reads, use_replica
from aftersales.embedded import BASE_DIR
from aftersales.tests.test_settings import PRODUCTION, manage
from tickets.models import Ticket


def shell(code: str, **env):
    return manage("shell", "-v", "0", "-c", code, **{**PRODUCTION, "DATABASE_URL": os.environ["DATABASE_URL"], **env})


def test_uploads_use_s3_storage_when_a_bucket_is_named():
    code = (
        "from django.core.files.storage import storages; s = storages['default']; "
        "print(type(s).__name__, s.bucket_name, s.endpoint_url)"
    )
    result = shell(code, AWS_STORAGE_BUCKET_NAME="uploads", AWS_S3_ENDPOINT_URL="https://minio.example.com")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["S3Storage", "uploads", "https://minio.example.com"]
    local = shell("from django.core.files.storage import storages; s = storages['default']; print(type(s).__name__)")
    assert local.stdout.strip() == "FileSystemStorage", local.stderr


def test_replica_url_adds_a_database_the_router_reads_from():
    code = (
        "from django.db import connections; from tickets.models import Ticket; "
        "from aftersales.db_router import replica_reads\n"
        "print(connections['replica'].settings_dict['HOST'], Ticket.objects.all().db)\n"
        "with replica_reads(): print(Ticket.objects.all().db, Ticket.objects.db_manager().all().db)"
    )
    result = shell(code, DATABASE_REPLICA_URL="postgres://reader@replica.example.com:5432/aftersales")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["replica.example.com", "default", "replica", "replica"]


def test_router_reads_the_primary_without_a_replica_and_never_writes_or_migrates_the_replica():
    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_read(Ticket) is None  # not configured in the tests
        with override_settings(DATABASES={**settings.DATABASES, "replica": settings.DATABASES["default"]}):
            assert router.db_for_read(Ticket) == "replica"
            assert router.db_for_write(Ticket) == "default"
    with override_settings(DATABASES={**settings.DATABASES, "replica": settings.DATABASES["default"]}):
        assert router.db_for_read(Ticket) is None  # outside figures and exports: the primary
    assert router.allow_migrate("replica", "tickets") is False and router.allow_migrate("default", "tickets")


def test_dashboards_and_exports_opt_in_to_the_replica():
    from claims import views as claim_views
    from claims.api import views as claim_api
    from dashboards import views as dashboard_views
    from dashboards.api.views import SectionView

    seen = []

    @use_replica
    def probe():
        seen.append(ReplicaRouter().db_for_read(Ticket))

    with override_settings(DATABASES={**settings.DATABASES, "replica": settings.DATABASES["default"]}):
        probe()
    assert seen == ["replica"]
    for view in (dashboard_views.home, dashboard_views.section, dashboard_views.export, SectionView.get):
        assert "use_replica" in repr(getattr(view, "__wrapped__", None)) or _wraps_replica(view), view
    assert _wraps_replica(claim_views._export) and _wraps_replica(claim_api.SettlementViewSet._export)
    assert "replica" not in connections


def _wraps_replica(view) -> bool:
    while view is not None:
        if view.__code__.co_filename.endswith("db_router.py"):
            return True
        view = getattr(view, "__wrapped__", None)
    return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_pages_and_static_files_with_several_workers():
    port = _free_port()
    env = {
        **os.environ,
        **PRODUCTION,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + settings.DATABASES["default"]["NAME"],
    }
    from aftersales.launcher import web_command

    command = web_command(f"127.0.0.1:{port}", dev=False)
    assert command[1:3] == ["-m", "gunicorn"]
    command[command.index("--workers") + 1] = "2"
    process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert process.poll() is None, process.stdout.read().decode()
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.3)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as response:
            assert response.status == 200 and b"<form" in response.read()
        static = sorted((BASE_DIR / "static").rglob("*.css"))[0].relative_to(BASE_DIR / "static")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/{static.as_posix()}", timeout=5) as response:
            assert response.status == 200 and response.headers["Content-Type"].startswith("text/css")
    finally:
        process.terminate()
        process.wait(timeout=20)
    workers = process.stdout.read().decode().count("Booting worker")
    assert workers == 2, workers
    assert sys.executable
