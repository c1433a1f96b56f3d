"""Repair cases: intake and every change of status, each writing an event and keeping the timers right."""

from __future__ import annotations

import functools
from datetime import datetime

from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales import prepared
from aftersales.dates import business_date
from aftersales.errors import ApplicationError, ConflictError, StaleVersionError
from aftersales.roles import Role
from tickets import sla, transitions
from tickets.models import FollowUp, SLAPolicy, Ticket, TicketEvent, TicketPause, WorkLogEntry
from tickets.services import sla_config
from tickets.services import timers as timer_services
from tickets.services.clock import add_working_days, policy_calendar
from tickets.services.coverage import coverage_at_intake
from tickets.services.events import event
from tickets.services.intake import intake_insert
from tickets.services.repairs import RepairFacts, repair_facts_check, repair_report_write
from warranty.models import ServiceContract

REPORTED_IN_FUTURE = "reported_in_future"
INVALID_TRANSITION = "invalid_transition"
STALE_VERSION = "stale_version"
ENGINEER_REQUIRED = "engineer_required"
ALREADY_CHECKED_IN = "already_checked_in"
NOT_CHECKED_IN = "not_checked_in"

QUOTATION_REQUIRED = "quotation_required"
FOLLOWUP_REQUIRED = "followup_required"
# Work that needs the customer's approval of a quotation when the case is paid service.
PAID_WORK = ("start_remote", "check_in", "resolve")
# What each action proves was done in time.
MEETS = {
    "contact": ("first_response",),
    "start_remote": ("first_response", "remote_response"),
    "check_in": ("first_response", "onsite_arrival"),
    # Resolving proves contact and resolution only: a visit or a remote session never made was not needed.
    "resolve": ("first_response", "resolution"),
}


@functools.cache
def policy_statement() -> prepared.Statement:
    """The query of ``policy_for``, written out once and prepared per connection: the ORM spent several times
    the database's time building and planning its joins over three many-to-many tables; one EXISTS per kind
    of link instead."""
    policy = SLAPolicy._meta
    links = ("customers", "contracts", "product_lines")
    through = {name: policy.get_field(name).remote_field.through._meta.db_table for name in links}
    units = ServiceContract._meta.get_field("units").remote_field.through._meta.db_table
    columns = ", ".join(f"p.{connection.ops.quote_name(f.column)}" for f in policy.concrete_fields)
    return prepared.Statement(f"""
        SELECT {columns}, ({sla_config.STAMP_SQL}) AS config_stamp
          FROM (
            SELECT p.*,
                   EXISTS (SELECT 1 FROM {through["customers"]} c
                            WHERE c.slapolicy_id = p.id AND c.customer_id = %(customer)s)
                OR EXISTS (SELECT 1 FROM {through["contracts"]} pc
                             JOIN {ServiceContract._meta.db_table} k ON k.id = pc.servicecontract_id
                             JOIN {units} u ON u.servicecontract_id = k.id
                            WHERE pc.slapolicy_id = p.id AND u.unit_id = %(unit)s
                              AND k.starts_on <= %(on)s AND k.ends_on >= %(on)s)
                OR EXISTS (SELECT 1 FROM {through["product_lines"]} l
                            WHERE l.slapolicy_id = p.id AND l.productline_id = %(line)s) AS specific
              FROM {policy.db_table} p
             WHERE p.effective_from <= %(on)s AND (p.effective_to IS NULL OR p.effective_to > %(on)s)
          ) p
         WHERE p.specific OR p.is_default
         ORDER BY p.specific DESC, p.effective_from DESC, p.version DESC
         LIMIT 1
    """)


def policy_for(*, customer, unit, on) -> SLAPolicy:
    """The customer's, a contract's or the product line's policy in force on a day, else the default; with
    the configuration stamp its details are kept under (``config_stamp``, tickets.services.sla_config)."""
    params = {
        "on": on,
        "customer": getattr(customer, "pk", None),
        "unit": getattr(unit, "pk", None),
        "line": unit.product_model.product_line_id if unit is not None else None,
    }
    db = SLAPolicy.objects.db  # the connection the statement is prepared on is the one it runs on
    with prepared.running(policy_statement(), connections[db]) as sql:
        found = next(iter(SLAPolicy.objects.using(db).raw(sql, params)), None)
    return found or sla.default_policy(on=on)  # none in force: the default's own error


def number_prefix(now: datetime) -> str:
    """A case number is ``SR<business day>-<sequence, at least six digits>``."""
    return f"SR{business_date(now):%y%m%d}-"


def followup_schedule(ticket: Ticket, *, now: datetime) -> FollowUp:
    """The follow-up call (回访) of a resolved case, due the policy's working days later on its calendar. A case
    resolved again before its call was made moves that call instead of adding a second one."""
    policy = ticket.sla_policy
    calendar = policy_calendar(policy, around=now)
    due = add_working_days(calendar, now, policy.followup_days)
    followup, _created = FollowUp.objects.update_or_create(
        ticket=ticket, status=FollowUp.Status.PENDING, defaults={"resolved_at": now, "due_at": due}
    )
    return followup


def ticket_create(
    *,
    actor,
    channel: str,
    reporter_name: str,
    description: str,
    severity: str,
    contact_phone: str = "",
    category: str = "",
    unit=None,
    customer=None,
    site=None,
    reported_at: datetime | None = None,
    distance_km: int | None = None,
    serving_outlet=None,
    sla_policy: SLAPolicy | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Open a case: coverage snapshot of the unit at intake, the SLA policy it runs under, its timers.

    Everything is read and checked first, then the case, its timers and its event are written in one
    transaction. The reads before it write nothing, so a refusal (an error with its code) leaves a caller's
    transaction usable; the writes need no savepoint of their own inside a caller's transaction (a failed
    statement spoils the whole transaction in PostgreSQL either way)."""
    now = now or timezone.now()
    reported_at = reported_at or now
    if reported_at > now:
        raise ApplicationError(
            REPORTED_IN_FUTURE,
            _("The report time cannot be in the future."),
            details={"reported_at": [_("This time is in the future.")]},
        )
    if unit is not None:
        customer = customer or unit.customer
        site = site or unit.site
    on = business_date(reported_at)  # the coverage and policy day, whoever takes the call
    policy = sla_policy or policy_for(customer=customer, unit=unit, on=on)
    # The policy's severities, targets, zones, ladder and calendar: kept per process under the stamp.
    ladder_cache = sla_config.with_details(policy)
    severities = {s.code: s for s in policy.severities.all()}
    if severity not in severities:
        raise ApplicationError(
            sla.UNKNOWN_SEVERITY,
            _("Unknown severity %(code)s.") % {"code": severity},
            details={"severity": [_("Choose one of: %s.") % ", ".join(severities)]},
        )
    intake = coverage_at_intake(unit, on=on) if unit is not None else None
    ticket = Ticket(
        chargeable=intake is not None and not intake.snapshot.covered,
        channel=channel,
        reporter_name=reporter_name,
        contact_phone=contact_phone,
        description=description,
        category=category,
        unit=unit,
        customer=customer,
        site=site,
        province=site.province if site is not None else "",
        sla_policy=policy,
        severity=severities[severity],
        coverage_snapshot=intake.snapshot.to_json() if intake else {},
        coverage_policy_version=intake.policy_version if intake else None,
        coverage_contract=intake.contract if intake else None,
        distance_km=distance_km,
        serving_outlet=serving_outlet,
        reported_at=reported_at,
        created_at=now,
        created_by=actor,
    )
    # The timers are worked out before the row is written, so the case is inserted with its next deadline,
    # its timers and its event in the same statement: one write whatever the policy.
    timers = timer_services.timers_plan(ticket, now=now, cache=ladder_cache)
    ticket.next_due_at = timer_services.next_due_of(timers)
    created = TicketEvent(
        ticket=ticket,
        actor=actor,
        kind="created",
        to_state=ticket.status,
        at=now,
        data={"channel": channel, "severity": severity, "policy": str(policy)},
    )
    # The number, the case, its timers and its event in one statement (tickets.services.intake).
    with transaction.atomic(savepoint=False):
        intake_insert(ticket, timers, created, number_prefix=number_prefix(now))
    # Kept on the case (``created_timers``): the API shows the new case without reading it back.
    ticket.created_timers = timers
    return ticket


def ticket_lock(ticket: Ticket, expected_version: int | None = None) -> Ticket:
    """The case row, locked for this transaction, checked against the version the caller read.

    Every change of a case takes this lock first and its timers after it (the sweep does the same), so a
    person's action and the sweep never wait on each other in opposite orders. FOR NO KEY UPDATE lets other
    transactions add rows that point to the case (events, notes) meanwhile. ``expected_version`` None is for
    system callers (the sweep) and steps inside a service that already checked it."""
    # Lock the bare row: a locking query with joins would drop a row whose severity or policy a concurrent
    # transaction just changed (PostgreSQL re-checks the join against the old related rows).
    if not Ticket.objects.select_for_update(no_key=True).filter(pk=ticket.pk).values_list("pk", flat=True):
        raise Ticket.DoesNotExist
    locked = Ticket.objects.select_related("sla_policy__calendar", "site", "severity").get(pk=ticket.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersionError(
            STALE_VERSION,
            _("Someone else changed this case meanwhile; reload it and try again."),
            details={"version": [str(locked.version)]},
        )
    return locked


@transaction.atomic
def ticket_transition(
    *,
    ticket: Ticket,
    action: str,
    actor,
    expected_version: int | None = None,
    engineer=None,
    note: str = "",
    repair: RepairFacts | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Move a case by the transition table; meets the timers the work proves, keeps the pause ledger.
    Resolving takes the engineer's ``repair`` report (required for a case on a unit: its problem code) and
    writes the unit's repair record."""
    now = now or timezone.now()
    ticket = ticket_lock(ticket, expected_version)
    before = ticket.status
    try:
        after = transitions.next_status(action, before)
    except transitions.TransitionError as error:
        raise ConflictError(
            INVALID_TRANSITION,
            _("%(action)s is not possible while the case is %(status)s; possible now: %(allowed)s.")
            % {"action": action, "status": before, "allowed": ", ".join(error.allowed) or "—"},
            details={"allowed": error.allowed},
        ) from error
    data: dict = {"note": note} if note else {}
    if action in PAID_WORK and ticket.chargeable and not ticket.quotations.filter(status="approved").exists():
        raise ConflictError(
            QUOTATION_REQUIRED,
            _("This case is paid service: the customer must approve a quotation before work continues."),
        )
    if action == "close":
        latest = ticket.followups.order_by("-resolved_at").first()
        if latest is None or latest.status != "done":
            raise ConflictError(FOLLOWUP_REQUIRED, _("A case is closed only after its follow-up call is done."))
    if action == "resolve":
        repair = repair_facts_check(ticket, repair, now=now)
    open_visits = ticket.work_log.filter(kind=WorkLogEntry.Kind.VISIT, started_at__isnull=False, ended_at__isnull=True)
    if action == "assign":
        if engineer is None or not engineer.has_role(Role.ENGINEER):
            raise ApplicationError(
                ENGINEER_REQUIRED,
                _("Choose a service engineer."),
                details={"engineer": [_("Must be a user with the engineer role.")]},
            )
        data["engineer"] = engineer.username
        ticket.assigned_engineer = engineer
    elif action == "check_in":
        if open_visits.exists():
            raise ConflictError(ALREADY_CHECKED_IN, _("The engineer is already checked in on site."))
        WorkLogEntry.objects.create(
            ticket=ticket, kind=WorkLogEntry.Kind.VISIT, engineer=actor, started_at=now, summary=note, created_at=now
        )
        ticket.work_mode = Ticket.WorkMode.ON_SITE
    elif action == "check_out":
        if not open_visits.update(ended_at=now):
            raise ConflictError(NOT_CHECKED_IN, _("Nobody is checked in on site."))
        ticket.work_mode = Ticket.WorkMode.CONTACTED
    elif action == "contact" and ticket.work_mode == Ticket.WorkMode.NONE:
        ticket.work_mode = Ticket.WorkMode.CONTACTED
    elif action == "start_remote":
        ticket.work_mode = Ticket.WorkMode.REMOTE

    # The pause ledger follows the status: one open interval while waiting.
    TicketPause.objects.filter(ticket=ticket, ended_at__isnull=True).update(ended_at=now)
    if after in (transitions.WAITING_CUSTOMER, transitions.WAITING_PARTS):
        TicketPause.objects.create(ticket=ticket, status=after, started_at=now)

    if action == "resolve":
        ticket.resolved_at = now
        if ticket.work_mode == Ticket.WorkMode.ON_SITE:
            open_visits.update(ended_at=now)
            ticket.work_mode = Ticket.WorkMode.CONTACTED
    elif action == "close":
        ticket.closed_at = now
    elif action == "reopen":
        ticket.resolved_at = ticket.closed_at = None
    ticket.status = after
    ticket.version += 1
    ticket.save()
    # The timers follow the new status; the case's next deadline is stored once after all of them.
    timer_services.timers_recompute(ticket, now=now, refresh=False)
    if action in MEETS:
        data["met"] = timer_services.timers_meet(ticket, MEETS[action], at=now, refresh=False)
    if action == "resolve":
        data["ended"] = timer_services.timers_end(ticket, at=now, refresh=False)
        report = repair_report_write(ticket, actor=actor, facts=repair, now=now)
        data["problem_code"] = report.problem_code
        followup_schedule(ticket, now=now)
    elif action == "cancel":
        data["ended"] = timer_services.timers_end(ticket, at=now, cancelled=True, refresh=False)
    timer_services.refresh_next_due_at([ticket])
    event(ticket, actor=actor, kind=action, from_state=before, to_state=after, at=now, data=data)
    return ticket


@transaction.atomic
def ticket_change_severity(
    *, ticket: Ticket, severity: str, actor, expected_version: int | None = None, now: datetime | None = None
) -> Ticket:
    """A new severity means new targets; deadlines are recomputed from the start and the pause ledger."""
    now = now or timezone.now()
    ticket = ticket_lock(ticket, expected_version)
    severities = {s.code: s for s in ticket.sla_policy.severities.all()}
    if severity not in severities:
        raise ApplicationError(
            sla.UNKNOWN_SEVERITY,
            _("Unknown severity %(code)s.") % {"code": severity},
            details={"severity": [_("Choose one of: %s.") % ", ".join(severities)]},
        )
    before = ticket.severity.code
    ticket.severity = severities[severity]
    ticket.version += 1
    ticket.save()
    timer_services.timers_retarget(ticket, now=now)
    event(ticket, actor=actor, kind="severity_changed", at=now, data={"from": before, "to": severity})
    return ticket


@transaction.atomic
def ticket_change_policy(
    *, ticket: Ticket, policy: SLAPolicy, actor, expected_version: int | None = None, now: datetime | None = None
) -> Ticket:
    """Move a case to another SLA policy (version); the severity keeps its code, deadlines are recomputed."""
    now = now or timezone.now()
    ticket = ticket_lock(ticket, expected_version)
    severity = policy.severities.filter(code=ticket.severity.code).first()
    if severity is None:
        raise ApplicationError(
            sla.UNKNOWN_SEVERITY,
            _("The policy %(policy)s has no severity %(code)s.") % {"policy": policy, "code": ticket.severity.code},
            details={"policy": [_("Choose a policy with this severity, or change the severity first.")]},
        )
    before = str(ticket.sla_policy)
    ticket.sla_policy, ticket.severity = policy, severity
    ticket.version += 1
    ticket.save()
    timer_services.timers_retarget(ticket, now=now)
    event(ticket, actor=actor, kind="policy_changed", at=now, data={"from": before, "to": str(policy)})
    return ticket
