"""Who may act on a case: one table, read by the API and the pages alike (README's roles table says the same).

Which cases a user may see at all is decided by ``aftersales.scoping``; this module decides what the user may
*do* to a case it can see. A user holds several roles; any of them may grant an action.

- Managers (service, department, general) and admins may do everything: they take over a case when it
  escalates, change its severity or SLA policy, answer complaints.
- The service desk triages and follows up: opens cases, assigns engineers, sets the severity, records
  calls and the customer's answers, waits and resumes, confirms, closes, reopens and cancels, answers
  complaints. It does not do an engineer's work (remote session, on site, resolve, parts and labour).
- An engineer works the cases assigned to him or her, and only those: contact, remote and on-site work,
  parts and labour, quotations and loaners, resolving and the signed repair order.
- A dealer's staff work their own dealer's cases as its outlet: open them, assign their own engineers, do
  the work; they do not change the severity or SLA policy, and closing, reopening and cancelling belong to
  the manufacturer's desk.
- Claims reviewers and finance read cases; they change nothing.
"""

from __future__ import annotations

from aftersales.roles import Role

TRIAGE = frozenset({"assign", "severity"})
FOLLOW_UP = frozenset({"confirm", "close", "reopen", "cancel", "complaint_answer", "followup"})
WAITING = frozenset({"contact", "wait_customer", "wait_parts", "resume"})
RECORDS = frozenset({"work_log", "attachments", "quotation_decision"})
FIELD_WORK = frozenset(
    {
        "start_remote",
        "check_in",
        "check_out",
        "resolve",
        "confirm",
        "escalate",
        "charges",
        "quotations",
        "loaners",
        "loaner_return",
        "repair_order",
    }
)
POLICY = frozenset({"sla_policy"})
EVERY_ACTION = TRIAGE | FOLLOW_UP | WAITING | RECORDS | FIELD_WORK | POLICY

# Role -> what it may do on any case it can see.
ON_ANY_CASE: dict[str, frozenset[str]] = {
    Role.ADMIN: EVERY_ACTION,
    Role.SERVICE_MANAGER: EVERY_ACTION,
    Role.DEPARTMENT_MANAGER: EVERY_ACTION,
    Role.GENERAL_MANAGER: EVERY_ACTION,
    Role.SERVICE_DESK: TRIAGE | FOLLOW_UP | WAITING | RECORDS | {"quotations"},
    Role.DEALER_STAFF: (WAITING | RECORDS | FIELD_WORK | {"assign"}),
}
# Role -> what it may do on the cases assigned to the user.
ON_OWN_CASE: dict[str, frozenset[str]] = {
    Role.ENGINEER: WAITING | RECORDS | FIELD_WORK,
}
# Who may open a case (the intake page and POST /tickets/).
CREATORS = (Role.ADMIN, Role.SERVICE_DESK, Role.SERVICE_MANAGER, Role.DEALER_STAFF)


def may_create_case(user) -> bool:
    return bool(user.is_authenticated and user.has_role(*CREATORS))


def case_actions(user, ticket) -> frozenset[str]:
    """Everything ``user`` may do on ``ticket`` (a case it can see), whatever the case's status."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return EVERY_ACTION
    granted: set[str] = set()
    for role in user.roles:
        granted |= ON_ANY_CASE.get(role, frozenset())
        if ticket.assigned_engineer_id == user.pk:
            granted |= ON_OWN_CASE.get(role, frozenset())
    return frozenset(granted)


def may_act(user, ticket, action: str) -> bool:
    if action not in EVERY_ACTION:
        raise KeyError(f"unknown case action {action!r}")
    return action in case_actions(user, ticket)
