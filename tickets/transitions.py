"""The ticket lifecycle as a table: which action moves which status to which. No database here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

NEW = "new"
ASSIGNED = "assigned"
IN_PROGRESS = "in_progress"
WAITING_CUSTOMER = "waiting_customer"
WAITING_PARTS = "waiting_parts"
RESOLVED = "resolved"
CONFIRMED = "confirmed"
CLOSED = "closed"
CANCELLED = "cancelled"

STATUS_LABELS = {
    NEW: _("new"),
    ASSIGNED: _("assigned"),
    IN_PROGRESS: _("in progress"),
    WAITING_CUSTOMER: _("waiting for the customer"),
    WAITING_PARTS: _("waiting for parts"),
    RESOLVED: _("resolved"),
    CONFIRMED: _("confirmed by the customer"),
    CLOSED: _("closed"),
    CANCELLED: _("cancelled"),
}
OPEN_STATUSES = (NEW, ASSIGNED, IN_PROGRESS, WAITING_CUSTOMER, WAITING_PARTS)
WORKING = (ASSIGNED, IN_PROGRESS)

# action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "assign": ((NEW, ASSIGNED, IN_PROGRESS, WAITING_CUSTOMER, WAITING_PARTS), ""),  # keeps status unless new
    "contact": ((ASSIGNED, IN_PROGRESS), IN_PROGRESS),
    "start_remote": ((ASSIGNED, IN_PROGRESS), IN_PROGRESS),
    "check_in": ((ASSIGNED, IN_PROGRESS), IN_PROGRESS),
    "check_out": ((IN_PROGRESS,), IN_PROGRESS),
    "wait_customer": ((ASSIGNED, IN_PROGRESS, WAITING_PARTS), WAITING_CUSTOMER),
    "wait_parts": ((IN_PROGRESS, WAITING_CUSTOMER), WAITING_PARTS),
    "resume": ((WAITING_CUSTOMER, WAITING_PARTS), IN_PROGRESS),
    "resolve": ((IN_PROGRESS,), RESOLVED),
    "confirm": ((RESOLVED,), CONFIRMED),
    "close": ((CONFIRMED,), CLOSED),
    "reopen": ((RESOLVED, CONFIRMED, CLOSED), IN_PROGRESS),
    "cancel": ((NEW, ASSIGNED, WAITING_CUSTOMER), CANCELLED),
}


class TransitionError(Exception):
    def __init__(self, action: str, status: str, allowed: list[str]):
        super().__init__(f"{action} is not allowed from {status}")
        self.action, self.status, self.allowed = action, status, allowed


def allowed_actions(status: str) -> list[str]:
    return [action for action, (sources, _target) in TRANSITIONS.items() if status in sources]


def next_status(action: str, status: str) -> str:
    """The status after ``action``; raises TransitionError with the actions allowed instead."""
    sources, target = TRANSITIONS[action]
    if status not in sources:
        raise TransitionError(action, status, allowed_actions(status))
    if action == "assign":
        return ASSIGNED if status == NEW else status
    return target
