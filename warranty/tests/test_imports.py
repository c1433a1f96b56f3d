import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.translation import gettext

from aftersales.testing import CeleryWorker, wait_for
from warranty.models import Customer, Unit, UnitImport
from warranty.services.imports import unit_import_create, unit_import_run

pytestmark = pytest.mark.django_db
HEADER = "serial,model,customer,phone,address,city,dealer,invoice_date,price,usage\n"


def csv_file(rows: list[str], name="units.csv", header=HEADER) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (header + "\n".join(rows) + "\n").encode("utf-8"), content_type="text/csv")


def run_import(user, upload) -> UnitImport:
    job = unit_import_create(actor=user, uploaded_file=upload)
    return unit_import_run(import_id=job.pk)


@pytest.fixture
def admin_user(make_user):
    return make_user("admin")


def test_import_keeps_good_rows_and_reports_each_bad_row(admin_user, car_model, dealer):
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    rows = [
        f"S-1,{car_model.code},张三,13800000001,北京路1号,北京,{dealer.code},2026-01-01,1000,10",
        "S-2,NOPE,李四,13800000002,,,,2026-01-01,,",
        f"S-3,{car_model.code},王五,13800000003,,,,2026-02-30,,",
        f"S-4,{car_model.code},赵六,13800000004,,,,{future},abc,-3",
        f",{car_model.code},钱七,13800000005,,,,,,",
        f"S-1,{car_model.code},张三,13800000001,,,,2026-01-01,,",
        f"s 6,{car_model.code},张三,13800000001,北京路1号,北京,,2026-01-02,,",
    ]
    job = run_import(admin_user, csv_file(rows))
    assert job.status == UnitImport.Status.DONE
    assert (job.total_rows, job.processed_rows, job.created_count, job.error_count) == (7, 7, 2, 5)
    assert set(Unit.objects.values_list("serial", flat=True)) == {"S-1", "S6"}
    errors = {(error.row, error.field, error.code) for error in job.errors.all()}
    assert errors == {
        (3, "model", "unknown_model"),
        (4, "invoice_date", "invalid_date"),
        (5, "invoice_date", "future_date"),
        (5, "price", "invalid_number"),
        (5, "usage", "invalid_number"),
        (6, "serial", "required"),
        (7, "serial", "duplicate_in_file"),
    }
    # The same customer (name and phone) is one customer, with one site for one address.
    assert Customer.objects.filter(name="张三").count() == 1
    unit = Unit.objects.get(serial="S-1")
    assert (unit.selling_dealer, unit.site.address, str(unit.price), unit.usage_reading) == (
        dealer,
        "北京路1号",
        "1000.00",
        10,
    )


def test_reimport_of_same_file_creates_nothing(admin_user, car_model):
    rows = [f"R-{index},{car_model.code},客户{index},1390000{index:04d},,,,2026-03-01,," for index in range(25)]
    first = run_import(admin_user, csv_file(rows))
    second = run_import(admin_user, csv_file(rows))
    assert first.created_count == 25
    assert (second.created_count, second.updated_count, second.unchanged_count) == (0, 0, 25)
    assert Unit.objects.count() == 25
    assert Customer.objects.count() == 25


def test_reimport_with_changed_row_updates_it(admin_user, car_model):
    run_import(admin_user, csv_file([f"U-1,{car_model.code},甲,1,,,,2026-03-01,100,"]))
    job = run_import(admin_user, csv_file([f"U-1,{car_model.code},甲,1,,,,2026-03-01,250,"]))
    assert (job.created_count, job.updated_count) == (0, 1)
    unit = Unit.objects.get(serial="U-1")
    assert (str(unit.price), unit.version) == ("250.00", 2)


def test_import_in_batches_shows_progress_and_spans_batches(admin_user, car_model, monkeypatch):
    from warranty.services import imports

    monkeypatch.setattr(imports, "BATCH_SIZE", 10)
    seen = []
    original = imports._import_batch

    def spy(job, *args, **kwargs):
        original(job, *args, **kwargs)
        seen.append(UnitImport.objects.get(pk=job.pk).processed_rows)

    monkeypatch.setattr(imports, "_import_batch", spy)
    rows = [f"B-{index},{car_model.code},,,,,,," for index in range(35)]
    job = run_import(admin_user, csv_file(rows))
    assert seen == [10, 20, 30, 35]
    assert job.created_count == 35


def test_dealer_import_forces_own_dealer_and_refuses_others(make_user, dealer, other_dealer, car_model):
    from aftersales.roles import Role
    from warranty.tests.factories import DealerMemberFactory, UnitFactory

    user = make_user(Role.DEALER_STAFF)
    DealerMemberFactory(user=user, dealer=dealer)
    UnitFactory(serial="TAKEN", selling_dealer=other_dealer, product_model=car_model)
    rows = [
        f"OWN1,{car_model.code},,,,,,,,",
        f"OTHER1,{car_model.code},,,,,{other_dealer.code},,,",
        f"TAKEN,{car_model.code},,,,,,,,",
        f"NOBODY1,{car_model.code},,,,,NO-SUCH,,,",
    ]
    job = run_import(user, csv_file(rows))
    assert Unit.objects.get(serial="OWN1").selling_dealer == dealer
    assert not Unit.objects.filter(serial__in=["OTHER1", "NOBODY1"]).exists()
    assert Unit.objects.get(serial="TAKEN").selling_dealer == other_dealer
    errors = {error.row: error for error in job.errors.all()}
    assert {row: error.code for row, error in errors.items()} == {
        3: "unknown_dealer",
        4: "serial_exists",
        5: "unknown_dealer",
    }
    # Another dealer's code reads like a code that does not exist; a serial it sold like any taken serial.
    assert errors[3].message == errors[5].message.replace("NO-SUCH", other_dealer.code.upper())
    assert errors[4].message == gettext("A unit with this serial number is already registered.")


def test_xlsx_import_with_chinese_headers(admin_user, car_model):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["序列号", "型号", "客户", "电话", "发票日期"])
    sheet.append(["X-1", car_model.code, "孙八", "13700000000", timezone.datetime(2026, 4, 1)])
    sheet.append(["X-2", car_model.code, "孙八", "13700000000", "2026/04/02"])
    buffer = io.BytesIO()
    book.save(buffer)
    job = run_import(admin_user, SimpleUploadedFile("units.xlsx", buffer.getvalue()))
    assert job.created_count == 2, list(job.errors.values_list("message", flat=True))
    assert str(Unit.objects.get(serial="X-1").invoice_date) == "2026-04-01"


def test_missing_required_column_fails_the_job_with_a_message(admin_user):
    job = run_import(admin_user, csv_file(["1,2"], header="foo,bar\n"))
    assert job.status == UnitImport.Status.FAILED
    assert "serial" in job.failure and "model" in job.failure


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("units.xlsx", b"serial,model\n", "not an Excel"),
        ("units.exe", b"MZ", "Upload a .csv or .xlsx"),
        ("units.csv", b"\x00\x01\x02binary", "not a text"),
    ],
)
def test_upload_refuses_wrong_or_disguised_files(api_client, admin_user, name, content, message):
    api_client.force_authenticate(admin_user)
    response = api_client.post(
        "/api/v1/unit-imports/", {"file": SimpleUploadedFile(name, content)}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert not UnitImport.objects.exists()


def test_upload_through_api_queues_the_job_after_commit(
    api_client, admin_user, car_model, django_capture_on_commit_callbacks
):
    api_client.force_authenticate(admin_user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api_client.post("/api/v1/unit-imports/", {"file": csv_file([f"API-1,{car_model.code},,,,,,,,"])})
    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    assert len(callbacks) == 1
    unit_import_run(import_id=response.json()["id"])
    detail = api_client.get(f"/api/v1/unit-imports/{response.json()['id']}/").json()
    assert (detail["status"], detail["progress"], detail["created_count"]) == ("done", 100.0, 1)


def test_import_errors_endpoint_lists_rows(api_client, admin_user, car_model):
    job = run_import(admin_user, csv_file(["E-1,NOPE,,,,,,,,"]))
    api_client.force_authenticate(admin_user)
    errors = api_client.get(f"/api/v1/unit-imports/{job.pk}/errors/").json()["results"]
    assert errors == [{"row": 2, "field": "model", "code": "unknown_model", "message": errors[0]["message"]}]


def test_rerun_of_a_finished_job_does_nothing(admin_user, car_model):
    job = run_import(admin_user, csv_file([f"RR-1,{car_model.code},,,,,,,,"]))
    again = unit_import_run(import_id=job.pk)
    assert (again.status, again.created_count) == ("done", 1)
    assert Unit.objects.count() == 1


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_import_runs_in_a_real_celery_worker(api_client, make_user, car_model, settings, tmp_path):
    api_client.force_authenticate(make_user("admin"))
    worker = CeleryWorker(redis_url=settings.REDIS_URL, log_file=tmp_path / "worker.log").start()
    try:
        rows = [f"W-{index},{car_model.code},客户{index},,,,,2026-05-01,," for index in range(50)]
        response = api_client.post("/api/v1/unit-imports/", {"file": csv_file(rows)})
        assert response.status_code == 201
        job_id = response.json()["id"]
        wait_for(
            lambda: UnitImport.objects.get(pk=job_id).status == "done",
            timeout=60,
            what="the worker to finish the import",
        )
    finally:
        worker.stop()
    assert Unit.objects.filter(serial__startswith="W-").count() == 50


def test_import_usage_in_non_ascii_digits_is_a_row_error_not_a_failed_import(admin_user, car_model):
    rows = [
        f"U-1,{car_model.code},张三,13800000001,,,,2026-01-01,,²",
        f"U-2,{car_model.code},李四,13800000002,,,,2026-01-01,,٣",
    ]
    job = run_import(admin_user, csv_file(rows))
    assert job.status == UnitImport.Status.DONE
    assert {(error.row, error.field, error.code) for error in job.errors.all()} == {
        (2, "usage", "invalid_number"),
        (3, "usage", "invalid_number"),
    }
    assert not Unit.objects.exists()
