"""Demo dealers; the demo dealer user works for the first one."""

from django.db import transaction

from aftersales.models import User
from dealers.models import Dealer, DealerMember

DEALERS = [
    ("D-BJ-001", "北京顺达汽车销售服务有限公司", "北京", "北京"),
    ("D-SH-002", "上海浦东机电设备经销部", "上海", "上海"),
    ("D-GZ-003", "广州天河电器服务中心", "广东", "广州"),
]


@transaction.atomic
def seed_dealers() -> dict[str, Dealer]:
    dealers = {}
    for code, name, province, city in DEALERS:
        dealers[code], _created = Dealer.objects.get_or_create(
            code=code, defaults={"name": name, "province": province, "city": city}
        )
    user = User.objects.filter(username="dealer").first()
    if user is not None:
        DealerMember.objects.get_or_create(user=user, defaults={"dealer": dealers["D-BJ-001"]})
    return dealers


def seed(*, now) -> None:
    seed_dealers()
