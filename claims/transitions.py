"""The claim lifecycle as a table: which action moves which status to which. No database here.

A decision's outcome (approved, partly approved, rejected) follows from the line decisions, so ``decide``
names every status it may lead to and the service picks one.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

DRAFT = "draft"
SUBMITTED = "submitted"
RETURNED = "returned"
APPROVED = "approved"
PARTLY_APPROVED = "partly_approved"
REJECTED = "rejected"
APPEALED = "appealed"
WITHDRAWN = "withdrawn"

STATUS_LABELS = {
    DRAFT: _("draft"),
    SUBMITTED: _("submitted"),
    RETURNED: _("returned for information"),
    APPROVED: _("approved"),
    PARTLY_APPROVED: _("partly approved"),
    REJECTED: _("rejected"),
    APPEALED: _("under appeal"),
    WITHDRAWN: _("withdrawn"),
}
# Waiting for a reviewer: the queue, the review deadline and its escalation.
UNDER_REVIEW = (SUBMITTED, APPEALED)
# Decided: lines may be settled (approved ones) or appealed (rejected and reduced ones).
DECIDED = (APPROVED, PARTLY_APPROVED, REJECTED)
# The dealer may still change the claim's content.
EDITABLE = (DRAFT, RETURNED)

# action -> (statuses it may start from, statuses it may lead to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "submit": ((DRAFT,), (SUBMITTED,)),
    "resubmit": ((RETURNED,), (SUBMITTED,)),
    "return": ((SUBMITTED,), (RETURNED,)),
    "decide": (UNDER_REVIEW, DECIDED),
    "appeal": ((PARTLY_APPROVED, REJECTED), (APPEALED,)),
    "withdraw": (EDITABLE, (WITHDRAWN,)),
}


class TransitionError(ValueError):
    def __init__(self, action: str, status: str, allowed: list[str]):
        super().__init__(f"{action} is not possible from {status}")
        self.action = action
        self.status = status
        self.allowed = allowed


def allowed_actions(status: str) -> list[str]:
    return [action for action, (sources, _targets) in TRANSITIONS.items() if status in sources]


def check(action: str, status: str) -> None:
    """Raise TransitionError when ``action`` cannot start from ``status``."""
    if action not in TRANSITIONS:
        raise KeyError(f"unknown claim action {action!r}")
    if status not in TRANSITIONS[action][0]:
        raise TransitionError(action, status, allowed_actions(status))


def outcome(decisions: list[str]) -> str:
    """The claim's status from its line decisions: every line approved in full -> approved; none approved
    -> rejected; anything else (a reduction, a mix) -> partly approved."""
    if decisions and all(decision == "approved" for decision in decisions):
        return APPROVED
    if all(decision == "rejected" for decision in decisions):
        return REJECTED
    return PARTLY_APPROVED


# What each event kind of a claim's history says.
EVENT_LABELS = {
    "created": _("created"),
    "updated": _("corrected"),
    "attachment_added": _("document added"),
    "submit": _("submitted"),
    "resubmit": _("resubmitted"),
    "return": _("returned for information"),
    "decided": _("decided"),
    "appeal": _("appealed"),
    "appeal_decided": _("appeal decided"),
    "withdraw": _("withdrawn"),
    "review_overdue": _("review overdue, escalated"),
    "parts_shipped": _("old parts shipped"),
    "part_received": _("old part received"),
    "part_appraised": _("old part appraised"),
    "line_rejected": _("line rejected"),
    "settled": _("settled"),
}
