"""Roles are auth groups with a fixed code; their permissions are declared here and synced after migrate.

Apps extend ``ROLE_PERMISSIONS`` with the permissions their models need, as ``"app_label.codename"``.
Permissions given to a group by hand in the admin are left alone: syncing only adds what is declared.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SERVICE_DESK = "service_desk", _("Service desk agent")
    ENGINEER = "engineer", _("Service engineer")
    SERVICE_MANAGER = "service_manager", _("Service manager")
    DEPARTMENT_MANAGER = "department_manager", _("Department manager")
    GENERAL_MANAGER = "general_manager", _("General manager")
    # Receives the recurring-fault early warnings (层层预警) and routes them to R&D or training.
    QUALITY_MANAGER = "quality_manager", _("Quality manager")
    CLAIMS_REVIEWER = "claims_reviewer", _("Claims reviewer")
    FINANCE = "finance", _("Finance")
    DEALER_STAFF = "dealer_staff", _("Dealer staff")
    ADMIN = "admin", _("Administrator")


# Staff of the manufacturer's own service organisation (everyone but dealer staff).
INTERNAL_ROLES = frozenset(role.value for role in Role if role != Role.DEALER_STAFF)
MANAGER_ROLES = frozenset({Role.SERVICE_MANAGER, Role.DEPARTMENT_MANAGER, Role.GENERAL_MANAGER})

# Role -> permissions (app_label.codename). The admin role gets every permission.
ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.SERVICE_DESK: {"aftersales.view_user"},
    Role.ENGINEER: set(),
    Role.SERVICE_MANAGER: {"aftersales.view_user", "aftersales.view_userevent", "claims.view_claim"},
    Role.DEPARTMENT_MANAGER: {"aftersales.view_user", "aftersales.view_userevent", "claims.view_claim"},
    Role.GENERAL_MANAGER: {"aftersales.view_user", "aftersales.view_userevent", "claims.view_claim"},
    Role.QUALITY_MANAGER: set(),
    # Dealer claims: what each permission allows is in claims/permissions.py.
    Role.CLAIMS_REVIEWER: {"claims.view_claim", "claims.review_claim"},
    Role.FINANCE: {"claims.view_claim", "claims.settle_claim"},
    Role.DEALER_STAFF: {"claims.view_claim", "claims.submit_claim"},
    Role.ADMIN: set(),
}


def sync_role_groups(**kwargs) -> None:
    """Create one group per role and grant it its declared permissions (idempotent)."""
    all_permissions = Permission.objects.select_related("content_type")
    by_name = {f"{p.content_type.app_label}.{p.codename}": p for p in all_permissions}
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        if role == Role.ADMIN:
            wanted = list(by_name.values())
        else:
            wanted = [by_name[name] for name in ROLE_PERMISSIONS[role] if name in by_name]
        group.permissions.add(*wanted)
