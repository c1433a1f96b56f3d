import base64
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from aftersales.roles import Role
from tickets.models import Attachment, ChargeLine, RepairOrder, Ticket
from tickets.tests.helpers import act
from warranty.models import PartPrice

pytestmark = pytest.mark.django_db
URL = "/api/v1/tickets/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
SIGNATURE = "data:image/png;base64," + base64.b64encode(PNG).decode()


@pytest.fixture
def engineer(make_user):
    return make_user(Role.ENGINEER)


@pytest.fixture
def ticket(manager_api):
    body = {"channel": "phone", "reporter_name": "周先生", "description": "不制冷", "severity": "major"}
    return manager_api.post(URL, body, format="json").json()


def resolve(client, ticket, engineer):
    act(client, ticket["id"], "assign", {"engineer": engineer.username}, format="json")
    act(client, ticket["id"], "check-in", {}, format="json")
    assert act(client, ticket["id"], "resolve", {}, format="json").status_code == 200


def test_photo_attachment_is_stored(manager_api, ticket):
    response = manager_api.post(f"{URL}{ticket['id']}/attachments/", {"file": SimpleUploadedFile("fault.jpg", JPEG)})
    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "photo"
    assert [a["original_name"] for a in manager_api.get(f"{URL}{ticket['id']}/attachments/").json()] == ["fault.jpg"]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("fault.jpg", b"MZ\x90\x00 disguised program"),
        ("fault.exe", JPEG),
        ("report.pdf", PNG),
        ("big.png", PNG + b"\x00" * (10 * 1024 * 1024)),
    ],
    ids=["exe-named-jpg", "exe-extension", "png-named-pdf", "oversized"],
)
def test_bad_attachment_is_400_and_stores_nothing(manager_api, ticket, name, content):
    response = manager_api.post(f"{URL}{ticket['id']}/attachments/", {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 400
    assert response.json()["code"] == "attachment_invalid"
    assert not Attachment.objects.exists()


def test_work_log_call_and_future_time(manager_api, ticket):
    ok = manager_api.post(f"{URL}{ticket['id']}/work-log/", {"kind": "call", "summary": "约定明天上门"}, format="json")
    assert ok.status_code == 201
    future = manager_api.post(
        f"{URL}{ticket['id']}/work-log/", {"kind": "call", "started_at": "2999-01-01T00:00:00+08:00"}, format="json"
    )
    assert future.status_code == 400 and "started_at" in future.json()["details"]


def test_part_is_priced_from_the_price_list(manager_api, ticket):
    PartPrice.objects.create(part_number="P-CMP", name="压缩机", price=Decimal("1200.00"), valid_from=date(2020, 1, 1))
    response = manager_api.post(
        f"{URL}{ticket['id']}/charges/",
        {"kind": "part", "part_number": "P-CMP", "serial": "C123", "quantity": "1"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["unit_price"], response.json()["amount"]) == ("1200.00", "1200.00")
    assert response.json()["charged"] is True  # no unit, so nothing was covered at intake
    unknown = manager_api.post(
        f"{URL}{ticket['id']}/charges/", {"kind": "part", "part_number": "P-NONE", "quantity": "1"}, format="json"
    )
    assert unknown.status_code == 400 and unknown.json()["code"] == "part_unknown"


def test_parts_on_a_covered_unit_are_not_charged(manager_api, car):
    from datetime import timedelta

    from django.utils import timezone

    car.invoice_date = car.delivery_date = timezone.localdate() - timedelta(days=30)
    car.save()
    ticket = manager_api.post(
        URL,
        {"channel": "phone", "reporter_name": "x", "description": "y", "severity": "minor", "unit": car.serial},
        format="json",
    ).json()
    line = manager_api.post(
        f"{URL}{ticket['id']}/charges/",
        {"kind": "labour", "description": "检测", "quantity": "1.5", "unit_price": "10"},
        format="json",
    )
    assert (line.json()["amount"], line.json()["charged"]) == ("15.00", False)


def test_repair_order_is_signed_after_resolution_and_confirms_the_case(manager_api, ticket, engineer):
    too_early = act(
        manager_api,
        ticket["id"],
        "repair-order",
        {"findings": "a", "work_done": "b", "signer_name": "周先生", "signature": SIGNATURE},
        format="json",
    )
    assert too_early.status_code == 409
    resolve(manager_api, ticket, engineer)
    manager_api.post(
        f"{URL}{ticket['id']}/charges/",
        {"kind": "labour", "description": "检修", "quantity": "2", "unit_price": "10"},
        format="json",
    )
    signed = act(
        manager_api,
        ticket["id"],
        "repair-order",
        {"findings": "电容损坏", "work_done": "更换电容", "signer_name": "周先生", "signature": SIGNATURE},
        format="json",
    )
    assert signed.status_code == 201, signed.json()
    assert signed.json()["total_charged"] == "20.00"
    assert Ticket.objects.get().status == "confirmed"
    order = RepairOrder.objects.get()
    assert order.signature.read().startswith(b"\x89PNG")
    again = act(
        manager_api,
        ticket["id"],
        "repair-order",
        {"findings": "x", "work_done": "y", "signer_name": "z", "signature": SIGNATURE},
        format="json",
    )
    assert again.status_code == 409


@pytest.mark.parametrize(
    "signature",
    [
        "data:image/png;base64,@@@",
        "data:image/jpeg;base64,AAAA",
        "data:image/png;base64," + base64.b64encode(b"GIF89a").decode(),
    ],
)
def test_bad_signature_is_400(manager_api, ticket, engineer, signature):
    resolve(manager_api, ticket, engineer)
    response = act(
        manager_api,
        ticket["id"],
        "repair-order",
        {"findings": "x", "work_done": "y", "signer_name": "z", "signature": signature},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "signature_invalid"
    assert not RepairOrder.objects.exists()
    assert Ticket.objects.get().status == "resolved"


def test_check_out_closes_the_visit_and_a_second_check_out_is_409(manager_api, ticket, engineer):
    act(manager_api, ticket["id"], "assign", {"engineer": engineer.username}, format="json")
    act(manager_api, ticket["id"], "check-in", {}, format="json")
    assert act(manager_api, ticket["id"], "check-out", {}, format="json").status_code == 200
    visits = manager_api.get(f"{URL}{ticket['id']}/work-log/").json()
    assert visits[0]["kind"] == "visit" and visits[0]["ended_at"]
    assert act(manager_api, ticket["id"], "check-out", {}, format="json").status_code == 409
    assert ChargeLine.objects.count() == 0
