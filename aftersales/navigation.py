"""The page header's navigation: which entries a user sees depends on its roles."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from aftersales.roles import INTERNAL_ROLES, MANAGER_ROLES, Role


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    roles: frozenset[str] | None = None  # None: every signed-in user

    def visible_to(self, user) -> bool:
        return self.roles is None or user.has_role(*self.roles)


# Apps append their pages here in the order they appear in the header.
NAV_ITEMS: list[NavItem] = [
    NavItem(_("Home"), "home"),
    NavItem(_("Today"), "tickets:today", INTERNAL_ROLES | {Role.DEALER_STAFF}),
    NavItem(_("Cases"), "tickets:queue", INTERNAL_ROLES | {Role.DEALER_STAFF}),
    NavItem(
        _("Dashboards"),
        "dashboards:home",
        MANAGER_ROLES | {Role.QUALITY_MANAGER, Role.ADMIN, Role.SERVICE_DESK, Role.CLAIMS_REVIEWER, Role.DEALER_STAFF},
    ),
    NavItem(_("My cases"), "tickets:mine", frozenset({Role.ENGINEER})),
    NavItem(
        _("New case"),
        "tickets:intake",
        frozenset({Role.ADMIN, Role.SERVICE_DESK, Role.SERVICE_MANAGER, Role.DEALER_STAFF}),
    ),
    NavItem(_("Follow-ups"), "tickets:followups", frozenset({Role.ADMIN, Role.SERVICE_DESK, Role.SERVICE_MANAGER})),
    NavItem(_("Visits"), "tickets:visits", INTERNAL_ROLES | {Role.DEALER_STAFF}),
    NavItem(_("Units"), "warranty:unit-list", INTERNAL_ROLES | {Role.DEALER_STAFF}),
    NavItem(_("Unit import"), "warranty:import-list", frozenset({Role.ADMIN, Role.SERVICE_MANAGER, Role.DEALER_STAFF})),
    NavItem(
        _("Claims"),
        "claims:list",
        MANAGER_ROLES | {Role.ADMIN, Role.CLAIMS_REVIEWER, Role.FINANCE, Role.DEALER_STAFF},
    ),
    NavItem(_("Review queue"), "claims:queue", frozenset({Role.ADMIN, Role.CLAIMS_REVIEWER})),
    NavItem(_("Part returns"), "claims:returns", frozenset({Role.ADMIN, Role.CLAIMS_REVIEWER, Role.DEALER_STAFF})),
    NavItem(_("Statements"), "claims:statements", frozenset({Role.ADMIN, Role.FINANCE, Role.DEALER_STAFF})),
    NavItem(_("API"), "api-docs", INTERNAL_ROLES),
    NavItem(_("Administration"), "admin:index", frozenset({Role.ADMIN})),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    path = request.path
    items = []
    for item in NAV_ITEMS:
        if item.visible_to(user):
            items.append({"label": item.label, "url": reverse(item.url_name)})
    # The longest matching prefix is the current section (/units/imports/ is "Unit import", not "Units").
    matches = [entry for entry in items if entry["url"] != "/" and path.startswith(entry["url"])]
    current = max(matches, key=lambda entry: len(entry["url"]), default=items[0] if path == "/" else None)
    for entry in items:
        entry["active"] = entry is current
    return {"nav_items": items}
