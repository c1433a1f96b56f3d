"""Demo accounts: one user per role, with fixed passwords printed by ``seed_demo`` and the run command."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction

from aftersales.models import User
from aftersales.roles import Role, sync_role_groups


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: Role
    first_name: str
    last_name: str
    language: str = User.Language.ZH_HANS


DEMO_USERS = [
    DemoUser("desk", "desk-demo-2026", Role.SERVICE_DESK, "小红", "李"),
    DemoUser("engineer", "engineer-demo-2026", Role.ENGINEER, "建国", "王"),
    DemoUser("svcmgr", "svcmgr-demo-2026", Role.SERVICE_MANAGER, "伟", "张"),
    DemoUser("deptmgr", "deptmgr-demo-2026", Role.DEPARTMENT_MANAGER, "芳", "刘"),
    DemoUser("gm", "gm-demo-2026", Role.GENERAL_MANAGER, "强", "陈"),
    DemoUser("reviewer", "reviewer-demo-2026", Role.CLAIMS_REVIEWER, "静", "杨"),
    DemoUser("finance", "finance-demo-2026", Role.FINANCE, "磊", "赵"),
    DemoUser("dealer", "dealer-demo-2026", Role.DEALER_STAFF, "敏", "黄"),
    DemoUser("admin", "admin-demo-2026", Role.ADMIN, "Admin", "", User.Language.EN),
]


@transaction.atomic
def seed_users() -> list[DemoUser]:
    """Create the demo users that do not exist yet; returns the ones created."""
    sync_role_groups()
    created = []
    for demo in DEMO_USERS:
        if User.objects.filter(username=demo.username).exists():
            continue
        user = User(
            username=demo.username,
            first_name=demo.first_name,
            last_name=demo.last_name,
            email=f"{demo.username}@example.com",
            language=demo.language,
            is_staff=demo.role == Role.ADMIN,
            is_superuser=demo.role == Role.ADMIN,
        )
        user.set_password(demo.password)
        user.save()
        user.groups.add(Group.objects.get(name=demo.role.value))
        created.append(demo)
    return created
