"""Demo catalogue, policies, customers and units: enough for every warranty page to show something real."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from dealers.demo import seed_dealers
from warranty.models import (
    Component,
    Customer,
    PartPrice,
    ProductLine,
    ProductModel,
    RepairRecord,
    ServiceContract,
    Site,
    Unit,
    WarrantyPolicy,
)
from warranty.services.policies import policy_version_from_preset
from warranty.services.units import is_registered_late

POLICIES = [
    # code, name, regime, preset, start event override
    ("CAR-2021", "家用汽车三包（2021）", "car_2021", "car_2021", None),
    ("GOODS-TV", "彩电三包（整机1年，主要部件3年）", "consumer_goods", "catalogue_goods", None),
    ("MON-CONTRACT", "机房监控系统质保（验收次日起2年）", "contract", "contract", "day_after_acceptance"),
]


def policy_from_preset(code, name, regime, preset, start_event, *, now) -> WarrantyPolicy:
    policy = WarrantyPolicy.objects.create(code=code, name=name, regime=regime)
    overrides = {"labour_rate": Decimal("10.00")}
    if start_event:
        overrides["start_event"] = start_event
    if regime == "contract":
        overrides["whole_unit_months"] = 24
    policy_version_from_preset(
        policy=policy,
        preset=preset,
        now=now,
        **overrides,
        effective_from=timezone.localdate(now) - timedelta(days=6 * 365),
    )
    return policy


@transaction.atomic
def seed(*, now) -> None:
    if ProductLine.objects.exists():
        return
    dealers = seed_dealers()
    policies = {
        code: policy_from_preset(code, name, regime, preset, start, now=now)
        for code, name, regime, preset, start in POLICIES
    }
    cars = ProductLine.objects.create(code="CAR", name="乘用车")
    tvs = ProductLine.objects.create(code="TV", name="彩色电视机")
    monitoring = ProductLine.objects.create(code="MON", name="机房动力环境监控系统")
    sedan = ProductModel.objects.create(
        product_line=cars,
        code="SEDAN-E5",
        name="E5 纯电轿车",
        usage_unit=ProductModel.UsageUnit.KM,
        policy=policies["CAR-2021"],
    )
    for code, name, kind, system in [
        ("engine", "发动机", "assembly", "engine"),
        ("power_battery", "动力蓄电池", "assembly", "power_battery"),
        ("drive_motor", "驱动电机", "assembly", "drive_motor"),
        ("steering.gear", "转向机", "main_part", "steering"),
        ("brake.caliper", "制动钳", "main_part", "brake"),
        ("wiper", "雨刮片", "wear_part", ""),
    ]:
        Component.objects.create(product_model=sedan, code=code, name=name, kind=kind, system=system)
    tv = ProductModel.objects.create(
        product_line=tvs, code="TV-55U", name="55英寸液晶电视", policy=policies["GOODS-TV"]
    )
    Component.objects.create(product_model=tv, code="picture_tube", name="显示屏", kind="main_part")
    ups = ProductModel.objects.create(
        product_line=monitoring,
        code="MON-UPS-20K",
        name="20kVA 机房UPS监控主机",
        usage_unit=ProductModel.UsageUnit.HOURS,
        policy=policies["MON-CONTRACT"],
    )
    Component.objects.create(product_model=ups, code="battery", name="蓄电池组", kind="main_part")
    for part_number, name, price in [
        ("P-BRK-001", "制动钳总成", "860.00"),
        ("P-WIP-002", "雨刮片", "45.00"),
        ("P-PNL-55", "55英寸液晶屏", "2300.00"),
        ("P-BAT-12V", "12V 100Ah 蓄电池", "980.00"),
    ]:
        PartPrice.objects.create(
            part_number=part_number,
            name=name,
            price=Decimal(price),
            cost=(Decimal(price) * Decimal("0.7")).quantize(Decimal("0.01")),
            valid_from=timezone.localdate(now) - timedelta(days=400),
        )
    today = timezone.localdate(now)
    people = [
        ("张伟", "13800138000"),
        ("王芳", "13900139001"),
        ("李娜", "13700137002"),
        ("刘洋", "13600136003"),
        ("陈静", "13500135004"),
    ]
    customers = [Customer.objects.create(name=name, phone=phone, created_at=now) for name, phone in people]
    org = Customer.objects.create(
        kind=Customer.Kind.ORGANISATION, name="华东数据中心有限公司", phone="02158880000", created_at=now
    )
    site = Site.objects.create(
        customer=org,
        name="浦东机房",
        address="上海市浦东新区张江路 88 号",
        province="上海",
        city="上海",
        latitude=Decimal("31.204000"),
        longitude=Decimal("121.590000"),
    )
    units = [
        # serial, model, customer, dealer, invoice days ago, delivery days ago, usage, registered days after sale
        ("LSVE5000000000001", sedan, customers[0], "D-BJ-001", 5, 5, 320, 2),
        ("LSVE5000000000002", sedan, customers[1], "D-BJ-001", 50, 48, 2900, 3),
        ("LSVE5000000000003", sedan, customers[2], "D-BJ-001", 400, 398, 18000, 30),
        ("LSVE5000000000004", sedan, customers[3], "D-SH-002", 1300, 1300, 75000, 5),
        ("TV55U000000000005", tv, customers[4], "D-GZ-003", 10, None, None, 1),
        ("TV55U000000000006", tv, customers[0], "D-GZ-003", 500, None, None, 2),
    ]
    for serial, model, customer, dealer, invoiced, delivered, usage, registered_after in units:
        invoice = today - timedelta(days=invoiced)
        Unit.objects.create(
            serial=serial,
            product_model=model,
            customer=customer,
            selling_dealer=dealers[dealer],
            invoice_date=invoice,
            delivery_date=today - timedelta(days=delivered) if delivered is not None else None,
            price=Decimal("159800.00") if model == sedan else Decimal("4999.00"),
            usage_reading=usage,
            usage_read_at=now if usage is not None else None,
            registered_at=now - timedelta(days=max(invoiced - registered_after, 0)),
            registered_late=is_registered_late(
                invoice_date=invoice, registered_on=invoice + timedelta(days=registered_after)
            ),
        )
    monitor = Unit.objects.create(
        serial="MONUPS20K0000007",
        product_model=ups,
        customer=org,
        site=site,
        invoice_date=today - timedelta(days=300),
        installation_date=today - timedelta(days=280),
        acceptance_date=today - timedelta(days=270),
        usage_reading=6400,
        usage_read_at=now,
        registered_at=now,
    )
    contract = ServiceContract.objects.create(
        number="HT-2026-0018",
        customer=org,
        policy=policies["MON-CONTRACT"],
        starts_on=today - timedelta(days=270),
        ends_on=today + timedelta(days=460),
        service_level=ServiceContract.Level.PREMIUM,
        created_at=now,
    )
    contract.units.add(monitor)
    repaired = Unit.objects.get(serial="LSVE5000000000003")
    for days_ago, hours, problem, assemblies in [
        (300, 50, "BRK-NOISE", []),
        (200, 30, "BRK-NOISE", []),
        (90, 96, "ENG-OIL-LEAK", ["engine"]),
    ]:
        confirmed = now - timedelta(days=days_ago)
        RepairRecord.objects.create(
            unit=repaired,
            confirmed_at=confirmed,
            completed_at=confirmed + timedelta(hours=hours),
            usage=18000 - days_ago * 40,
            problem_code=problem,
            assemblies_replaced=assemblies,
            fault_description="制动异响" if problem == "BRK-NOISE" else "发动机漏油",
            created_at=now,
        )
