"""Demo data for every claims page: labour operations with flat rates, the demo dealers' network data, and
claims of the demo dealer in several states — a draft, two in the review queue, one returned for
information, one appealed, one approved whose old part came back and was settled on a statement."""

from __future__ import annotations

import struct
import zlib
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction

from aftersales.models import User
from claims import defaults
from claims.models import Claim, ClaimType, FlatRate, LabourOperation
from claims.services import claims as claim_services
from claims.services import returns as return_services
from claims.services import review, settlement
from dealers.models import Dealer
from warranty.models import ProductModel, Unit

NETWORK = {
    # code: region, address, latitude, longitude, labour rate, tier
    "D-BJ-001": ("华北", "北京市朝阳区东四环中路 82 号", "39.904200", "116.407400", "80.00", "A"),
    "D-SH-002": ("华东", "上海市浦东新区张杨路 500 号", "31.230400", "121.473700", "75.00", "B"),
    "D-GZ-003": ("华南", "广州市天河区天河路 208 号", "23.129100", "113.264400", "70.00", "B"),
}
OPERATIONS = [
    # code, description, {model code: flat-rate hours}
    ("BRK-01", "更换制动钳总成", {"SEDAN-E5": "1.50"}),
    ("WIP-01", "更换雨刮片", {"SEDAN-E5": "0.20"}),
    ("PNL-01", "更换液晶屏", {"TV-55U": "2.00"}),
    ("BAT-01", "更换蓄电池组", {"MON-UPS-20K": "2.50"}),
    ("DIAG-01", "故障诊断", {"SEDAN-E5": "0.50", "TV-55U": "0.50", "MON-UPS-20K": "1.00"}),
]


def demo_png() -> bytes:
    """A small real PNG (a red square), so the demo's photos open in a browser."""
    width = height = 16
    raw = b"".join(b"\x00" + bytes((200, 40, 40)) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def demo_pdf() -> bytes:
    return "%PDF-1.4\n% demo 三包维修记录\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".encode()


def seed_network() -> None:
    for code, (region, address, latitude, longitude, rate, tier) in NETWORK.items():
        Dealer.objects.filter(code=code).update(
            region=region,
            address=address,
            latitude=Decimal(latitude),
            longitude=Decimal(longitude),
            labour_rate=Decimal(rate),
            rating_tier=tier,
        )
    models = {model.code: model for model in ProductModel.objects.all()}
    for code, description, rates in OPERATIONS:
        operation, _created = LabourOperation.objects.get_or_create(code=code, defaults={"description": description})
        for model_code, hours in rates.items():
            if model_code in models:
                FlatRate.objects.get_or_create(
                    operation=operation, product_model=models[model_code], defaults={"hours": Decimal(hours)}
                )


def _claim(dealer_user, unit, *, problem, description, days_ago, lines, now, documents=True, submit=True):
    repaired = now - timedelta(days=days_ago)
    files = [("photo", ContentFile(demo_png(), name="fault.png"))]
    if documents:
        files.append(("repair_record", ContentFile(demo_pdf(), name="三包维修记录.pdf")))
    claim, _created = claim_services.claim_create(
        actor=dealer_user,
        unit=unit,
        claim_type=ClaimType.objects.get(code="repair"),
        problem_code=problem,
        fault_description=description,
        fault_date=(repaired - timedelta(hours=4)).date(),
        repair_agreed_at=repaired - timedelta(hours=2),
        repair_completed_at=repaired,
        usage=unit.usage_reading,
        lines=lines,
        documents=files,
        submit=submit,
        now=repaired + timedelta(hours=1),
    )
    return claim


def _approve(claim, reviewer, *, now, reject_last=False, reason="missing_documents"):
    lines = list(claim.lines.order_by("position"))
    decisions = [{"line": line.pk, "decision": "approve"} for line in lines]
    if reject_last:
        decisions[-1] = {"line": lines[-1].pk, "decision": "reject", "reason": reason, "note": "未附拖车单据"}
    return review.claim_decide(
        claim=claim, actor=reviewer, expected_version=claim.version, decisions=decisions, now=now
    )


@transaction.atomic
def seed(*, now) -> None:
    defaults.install_now()
    seed_network()
    if Claim.objects.exists():
        return
    dealer_user = User.objects.filter(username="dealer").first()
    reviewer = User.objects.filter(username="reviewer").first()
    finance = User.objects.filter(username="finance").first()
    units = {unit.serial: unit for unit in Unit.objects.filter(selling_dealer__code="D-BJ-001")}
    if not (dealer_user and reviewer and finance and len(units) >= 3):
        return
    first, second, third = (units[serial] for serial in sorted(units)[:3])
    brake = LabourOperation.objects.get(code="BRK-01")
    diagnosis = LabourOperation.objects.get(code="DIAG-01")
    brake_lines = [
        {"kind": "labour", "operation": brake, "hours": Decimal("1.50")},
        {"kind": "part", "part_number": "P-BRK-001", "quantity": Decimal(1), "old_part_serial": "BRK-OLD-0001"},
        {"kind": "other", "cost_kind": "towing", "amount": Decimal("180.00"), "description": "拖车 15 km"},
    ]
    # Approved; its old part came back, was appraised, and the claim was settled.
    settled = _claim(
        dealer_user,
        second,
        problem="BRAKE-NOISE",
        description="制动异响，更换左前制动钳",
        days_ago=20,
        lines=brake_lines,
        now=now,
    )
    settled = _approve(settled, reviewer, now=now - timedelta(days=15))
    batch = return_services.return_ship(
        actor=dealer_user,
        carrier="顺丰速运",
        tracking_number="SF1402 7788 9001",
        lines=[settled.lines.get(kind="part")],
        now=now - timedelta(days=14),
    )
    return_services.return_receive(batch=batch, actor=reviewer, now=now - timedelta(days=12))
    return_services.return_appraise(
        item=batch.items.get(), actor=reviewer, appraisal="scrap", note="摩擦片烧蚀", now=now - timedelta(days=12)
    )
    settlement.account_post(
        actor=finance,
        dealer=settled.dealer,
        kind="debit",
        amount=Decimal("500.00"),
        description="配件采购款（十月）",
        now=now - timedelta(days=11),
    )
    settlement.settlement_issue(
        actor=finance, dealer=settled.dealer, period_end=(now - timedelta(days=10)).date(), now=now - timedelta(days=10)
    )
    # Partly approved, then appealed: waiting for a second reviewer.
    appealed = _claim(
        dealer_user,
        second,
        problem="WIPER-FAIL",
        description="雨刮电机异响",
        days_ago=9,
        lines=[
            {"kind": "labour", "operation": LabourOperation.objects.get(code="WIP-01"), "hours": Decimal("0.20")},
            {"kind": "part", "part_number": "P-WIP-002", "quantity": Decimal(2)},
            {"kind": "other", "cost_kind": "travel", "amount": Decimal("60.00"), "description": "上门服务"},
        ],
        now=now,
    )
    appealed = _approve(appealed, reviewer, now=now - timedelta(days=6), reject_last=True)
    review.claim_appeal(
        claim=appealed,
        actor=dealer_user,
        expected_version=appealed.version,
        reason="上门服务单据已补充",
        now=now - timedelta(days=5),
    )
    # In the queue: one with every check passed, one registered late (failed checks).
    _claim(
        dealer_user,
        second,
        problem="HV-WARNING",
        description="高压系统报警",
        days_ago=4,
        lines=[{"kind": "labour", "operation": diagnosis, "hours": Decimal("0.50")}],
        now=now,
    )
    _claim(
        dealer_user,
        third,
        problem="BRAKE-NOISE",
        description="制动异响再次出现",
        days_ago=3,
        lines=[{"kind": "labour", "operation": brake, "hours": Decimal("2.50")}, *brake_lines[1:]],
        now=now,
        documents=False,
    )
    # Returned for information.
    returned = _claim(
        dealer_user,
        first,
        problem="AC-NOISE",
        description="空调异响",
        days_ago=2,
        lines=[{"kind": "labour", "operation": diagnosis, "hours": Decimal("0.50")}],
        now=now,
    )
    review.claim_return(
        claim=returned,
        actor=reviewer,
        expected_version=returned.version,
        note="请补充故障照片",
        now=now - timedelta(days=1),
    )
    # A draft.
    _claim(
        dealer_user,
        third,
        problem="DOOR-SEAL",
        description="车门密封条漏水",
        days_ago=1,
        lines=[{"kind": "labour", "operation": diagnosis, "hours": Decimal("0.50")}],
        now=now,
        submit=False,
    )
