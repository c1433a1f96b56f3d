"""Dashboard pages, exports and the API show the same hand-counted figures (the SLA world of
tickets/tests/test_dashboards_sla.py: in March 2026 the phone response was met 3 times and late once)."""

import csv
import hashlib
import io
import re
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from openpyxl import load_workbook

from aftersales.roles import Role
from tickets.models import EarlyWarning, EarlyWarningRule
from tickets.services.early_warning import early_warnings_detect
from warranty.tests.factories import DealerMemberFactory, ProductModelFactory, RepairFactory, UnitFactory

pytestmark = pytest.mark.django_db
MARCH = "start=2026-03-01&end=2026-03-31"


@pytest.fixture
def manager(make_user):
    return make_user(Role.SERVICE_MANAGER)


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def test_manager_home_lands_on_the_dashboard(manager_client, make_user, client):
    response = manager_client.get("/")
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    page = manager_client.get("/dashboard/")
    assert page.status_code == 200
    assert b'data-testid="headline-sla"' in page.content and b'data-testid="headline-warnings"' in page.content
    client.force_login(make_user(Role.SERVICE_DESK))
    assert client.get("/").status_code == 200  # the desk keeps its home page


def test_sla_page_shows_tables_charts_and_drilldown_links(world, manager_client):
    response = manager_client.get(f"/dashboard/sla/?{MARCH}")
    assert response.status_code == 200
    html = response.content.decode()
    for key in ("compliance", "open_states", "at_risk", "times", "levels", "trend", "breakdown", "loaners"):
        assert f'data-testid="table-{key}"' in html
    assert 'id="chart-data-compliance"' in html and "vendor/echarts/echarts.common.min.js" in html
    # The "met" figure of the phone response links to the queue listing exactly E, A and C.
    links = re.findall(r'href="(/cases/\?[^"]+)" data-figure="met">3<', html)
    assert links, "the met figure links to the cases behind it"
    query = parse_qs(urlsplit(links[0].replace("&amp;", "&")).query)
    assert query["figure"] == ["met:first_response:2026-03-01:2026-03-31"]
    queue = manager_client.get(links[0].replace("&amp;", "&"))
    numbers = {world[key].number for key in "EAC"}
    assert all(number.encode() in queue.content for number in numbers)
    assert world["B"].number.encode() not in queue.content


def test_sla_page_keeps_filters_in_links(world, manager_client):
    html = manager_client.get(f"/dashboard/sla/?{MARCH}&channel=email").content.decode()
    assert "channel=email" in re.search(r'href="([^"]+)" data-testid="export-xlsx"', html).group(1)
    assert re.search(r'data-figure="met">1<', html)  # only C came by e-mail


def test_sla_page_bad_filters_say_why(manager_client):
    response = manager_client.get("/dashboard/sla/?start=2026-03-10&end=2026-03-01&risk_hours=999")
    assert response.status_code == 400
    assert b'data-testid="error-end"' in response.content and b'data-testid="error-risk_hours"' in response.content


def test_dashboard_refuses_roles_without_it(client, make_user):
    client.force_login(make_user(Role.ENGINEER))
    assert client.get("/dashboard/sla/").status_code == 403
    assert client.get("/dashboard/").status_code == 403


def test_dealer_sees_its_own_figures_only(world, client, make_user):
    user = make_user(Role.DEALER_STAFF)
    DealerMemberFactory(user=user, dealer=world["A"].serving_outlet)
    client.force_login(user)
    html = client.get(f"/dashboard/sla/?{MARCH}").content.decode()
    assert re.search(r'data-figure="met">1<', html)  # A only
    assert world["C"].number not in html and world["B"].number not in html
    assert client.get("/dashboard/warnings/").status_code == 403


def test_csv_export_has_the_page_numbers(world, manager_client):
    response = manager_client.get(f"/dashboard/sla/export.csv?{MARCH}&table=compliance")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="dashboard-sla-compliance-2026-03-01-2026-03-31.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, body = rows[0], {row[0]: row for row in rows[1:]}
    assert len(header) == 7
    phone = body["电话响应"]  # the metric by its label in the manager's language
    assert phone[1:4] == ["3", "1", "75.0"]
    assert manager_client.get(f"/dashboard/sla/export.csv?{MARCH}").status_code == 404  # CSV is one table
    assert manager_client.get(f"/dashboard/sla/export.csv?{MARCH}&table=nope").status_code == 404


def test_xlsx_export_one_sheet_per_table(world, manager_client):
    response = manager_client.get(f"/dashboard/sla/export.xlsx?{MARCH}")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert len(workbook.sheetnames) == 8
    sheet = workbook.worksheets[0]
    values = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    phone = values["电话响应"]
    assert phone[1:4] == (3, 1, 75.0)  # numbers stay numbers


def test_api_returns_the_same_figures(world, client, manager):
    client.force_login(manager)
    response = client.get(f"/api/v1/dashboard/sla/?{MARCH}")
    assert response.status_code == 200
    body = response.json()
    assert body["filters"]["start"] == "2026-03-01" and body["filters"]["end"] == "2026-03-31"
    compliance = next(table for table in body["tables"] if table["key"] == "compliance")
    phone = next(row for row in compliance["rows"] if row["metric_name"] == "电话响应")
    assert (phone["met"], phone["breached"], phone["compliance"], phone["not_needed"]) == (3, 1, 75.0, 0)
    times = next(table for table in body["tables"] if table["key"] == "times")
    assert [row["median_minutes"] for row in times["rows"]][:1] == [25.0]
    assert "met:first_response:2026-03-01:2026-03-31" in compliance["links"][0]["met"]


def test_api_refuses_bad_filters_and_roles(client, make_user):
    client.force_login(make_user(Role.GENERAL_MANAGER))
    response = client.get("/api/v1/dashboard/sla/?start=2026-03-10&end=2026-03-01")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "end" in response.json()["details"]
    client.force_login(make_user(Role.ENGINEER))
    assert client.get("/api/v1/dashboard/sla/").status_code == 403


def test_claims_section_unavailable_without_its_provider(manager_client, client, make_user, settings):
    settings.DASHBOARD_CLAIMS_PROVIDER = "claims.no_such_module"
    assert manager_client.get("/dashboard/claims/").status_code == 404
    api = manager_client.get("/api/v1/dashboard/claims/")
    assert api.status_code == 404 and api.json()["code"] == "dashboard_section_unavailable"
    assert manager_client.get("/api/v1/dashboard/scorecard/").status_code == 404


def test_claims_section_filled_by_the_claims_app(manager_client):
    # The default provider is the dealer-claims app's claims.dashboards (its figures: claims/tests).
    assert manager_client.get(f"/dashboard/claims/?{MARCH}").status_code == 200
    assert manager_client.get(f"/api/v1/dashboard/scorecard/?{MARCH}").status_code == 200


def test_claims_section_slot_filled_by_a_provider(manager_client, client, make_user, settings):
    settings.DASHBOARD_CLAIMS_PROVIDER = "dashboards.tests.claims_stub"
    page = manager_client.get(f"/dashboard/claims/?{MARCH}")
    assert page.status_code == 200
    assert b'data-testid="table-claims_by_dealer"' in page.content and b"/claims/?D0001" in page.content
    api = manager_client.get(f"/api/v1/dashboard/scorecard/?{MARCH}").json()
    assert api["tables"][0]["rows"][0]["score"] == 88.0
    assert b'data-testid="headline-claims"' in manager_client.get("/dashboard/").content
    client.force_login(make_user(Role.ENGINEER))
    assert client.get("/dashboard/claims/").status_code == 403


@pytest.fixture
def warning(db):
    model = ProductModelFactory(code="M9")
    for day in (3, 4, 5):
        moment = datetime(2026, 3, day, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
        RepairFactory(
            unit=UnitFactory(product_model=model), problem_code="E42", confirmed_at=moment, completed_at=moment
        )
    EarlyWarningRule.objects.create(name="r", window="month", threshold=3)
    early_warnings_detect(now=datetime(2026, 3, 20, tzinfo=ZoneInfo("Asia/Shanghai")))
    return EarlyWarning.objects.get()


def test_warning_pages_acknowledge_and_route(warning, client, make_user):
    quality = make_user(Role.QUALITY_MANAGER)
    client.force_login(quality)
    listing = client.get("/dashboard/warnings/")
    assert listing.status_code == 200 and b"E42" in listing.content
    page = client.get(f"/dashboard/warnings/{warning.pk}/")
    assert page.status_code == 200 and page.content.count(b"/units/SN") == 3
    response = client.post(f"/dashboard/warnings/{warning.pk}/", {"route": "training", "note": "培训"})
    assert response.status_code == 302
    warning.refresh_from_db()
    assert (warning.status, warning.route) == ("acknowledged", "training")
    assert client.get("/dashboard/warnings/999999999/").status_code == 404
    reviewer = make_user(Role.CLAIMS_REVIEWER)
    client.force_login(reviewer)
    assert client.post(f"/dashboard/warnings/{warning.pk}/", {"route": "rd"}).status_code == 403


def test_warning_api_list_detail_acknowledge(warning, client, make_user):
    client.force_login(make_user(Role.GENERAL_MANAGER))
    listing = client.get("/api/v1/dashboard/warnings/").json()
    assert [row["problem_code"] for row in listing["results"]] == ["E42"]
    detail = client.get(f"/api/v1/dashboard/warnings/{warning.pk}/").json()
    assert detail["count"] == 3 and len(detail["behind"]) == 3 and "E42" in detail["text"]
    bad = client.post(
        f"/api/v1/dashboard/warnings/{warning.pk}/acknowledge/", {"route": "x"}, content_type="application/json"
    )
    assert bad.status_code == 400
    done = client.post(
        f"/api/v1/dashboard/warnings/{warning.pk}/acknowledge/", {"route": "rd"}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["route"] == "rd"
    again = client.post(
        f"/api/v1/dashboard/warnings/{warning.pk}/acknowledge/", {"route": "rd"}, content_type="application/json"
    )
    assert again.status_code == 409 and again.json()["code"] == "warning_acknowledged"


def test_vendored_echarts_matches_its_recorded_version_and_checksum():
    folder = Path(settings.BASE_DIR) / "static" / "vendor" / "echarts"
    readme = (folder / "README.md").read_text()
    digest = hashlib.sha256((folder / "echarts.common.min.js").read_bytes()).hexdigest()
    assert digest in readme
    version = re.search(r"Version: \*\*([0-9.]+)\*\*", readme).group(1)
    assert f'version:"{version}"'.encode() in (folder / "echarts.common.min.js").read_bytes()
    assert "Apache License" in (folder / "LICENSE").read_text()
