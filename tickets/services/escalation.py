"""Escalation: the sweep that fires due ladder steps exactly once, and acknowledging an escalation.

The sweep reads only timers whose ``next_action_at`` has come (a partial index serves it) and works on their
cases in batches, each case locked with SKIP LOCKED so several workers share the work; the unique (timer,
step) constraint is the last word on "exactly once" when sweeps overlap, retry or crash mid-batch. A sweep
that did not run for a while fires every step that came due meanwhile, once. When each step comes due is the
ladder's business (tickets.services.ladder), on the SLA clock.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.errors import ApplicationError, ConflictError
from aftersales.outbox import outbox_enqueue, outbox_enqueue_many
from tickets import business_time, calendar_check
from tickets.models import Escalation, EscalationStep, Notification, Ticket, TicketEvent, TicketPause, Timer
from tickets.services.billing import loaner_request
from tickets.services.events import event
from tickets.services.ladder import Ladder, PolicyCache, fired_steps, ladder_for
from tickets.services.notifications import audience_for, in_every_language, role_audience, ticket_dealers
from tickets.services.tickets import ticket_change_severity, ticket_transition
from tickets.services.timers import RETRY_AFTER, refresh_next_due_at, timers_recompute

logger = logging.getLogger(__name__)

DIGEST_TASK = "tickets.notification_digest"
CHANNELS_TASK = "tickets.notification_channels"
SWEPT_STATES = (Timer.State.RUNNING, Timer.State.BREACHED)
ALREADY_ACKNOWLEDGED = "already_acknowledged"


@dataclass
class SweepResult:
    fired: int = 0
    timers: int = 0
    failed: list[int] = field(default_factory=list)  # cases skipped because their sweep failed
    notified: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))


class Recipients:
    """Who a step tells, with role members looked up once per sweep."""

    def __init__(self):
        self._roles: dict[str, list[tuple[int, int | None]]] = {}

    def for_step(self, step: EscalationStep, ticket: Ticket) -> list[int]:
        if step.recipient == EscalationStep.Recipient.ASSIGNEE:
            return [ticket.assigned_engineer_id] if ticket.assigned_engineer_id else self.role("service_desk", ticket)
        if step.recipient == EscalationStep.Recipient.OUTLET and ticket.serving_outlet_id:
            return list(ticket.serving_outlet.members.values_list("user_id", flat=True))
        if step.recipient == EscalationStep.Recipient.ROLE:
            return self.role(step.role, ticket)
        if step.recipient == EscalationStep.Recipient.USER and step.user_id:
            return [step.user_id]
        return []

    def role(self, role: str, ticket: Ticket) -> list[int]:
        """The role's members who may see this case (a dealer's people only for their dealer's cases)."""
        if role not in self._roles:
            self._roles[role] = role_audience(role)
        audience = self._roles[role]
        dealers = ticket_dealers(ticket) if any(dealer for _user, dealer in audience) else ()
        return audience_for(audience, dealers)


def _fire(
    timer: Timer, step: EscalationStep, due: datetime, *, now: datetime, recipients: Recipients, result: SweepResult
) -> None:
    """Record the step as fired for the timer, tell its recipients in the inbox, and write the case event."""
    # The steps fired before were read with the case and its timers locked, so no other sweep can fire this
    # one meanwhile; should one anyway, the unique (timer, step) constraint refuses it and the case's
    # savepoint rolls back (the case is retried later, when the fired step is known): never twice.
    escalation = Escalation.objects.create(timer=timer, step=step, due_at=due, fired_at=now)
    ticket = timer.ticket
    share = _share(step)
    title, body, texts = _message(timer, share)
    notifications = Notification.objects.bulk_create(
        Notification(
            recipient_id=user_id,
            kind="escalation",
            title=title,
            body=body,
            texts=texts,
            ticket=ticket,
            escalation=escalation,
            created_at=now,
        )
        for user_id in dict.fromkeys(recipients.for_step(step, ticket))
    )
    for notification in notifications:
        result.notified[notification.recipient_id].append(notification.pk)
    event(
        ticket,
        actor=None,
        kind="escalation",
        at=now,
        data={
            "metric": timer.metric.code,
            "step": step.order,
            "at": share,
            "due": due.isoformat(),
            "notified": [n.recipient_id for n in notifications],
        },
    )


def _step_actions(ticket: Ticket, steps: list[EscalationStep], *, now: datetime) -> list[str]:
    """What the fired steps of one case do beyond telling people, once for the case however many of its
    timers fired them: reassign (to the last step's engineer), raise the severity by one level, start the
    substitute-unit workflow. Each goes through the service a person uses (event, version, deadlines); a
    refused one is recorded on the case and reported for admins, and the others still happen."""
    problems = []
    reassign = next((step.reassign_to for step in reversed(steps) if step.reassign_to_id), None)
    actions = []
    if reassign is not None:
        actions.append(("reassign", lambda t: _reassign(t, reassign, now=now)))
    if any(step.raise_severity for step in steps):
        actions.append(("raise_severity", lambda t: _raise_severity(t, now=now)))
    if any(step.open_loaner for step in steps):
        actions.append(("loaner", lambda t: loaner_request(ticket=t, actor=None, reason="escalation", now=now)))
    for name, run in actions:
        try:
            with transaction.atomic():
                ticket = run(ticket) or ticket
        except ApplicationError as error:
            problems.append(f"{name}: {error.code}: {error.message}")
            event(
                ticket,
                actor=None,
                kind="escalation_action_refused",
                at=now,
                data={"action": name, "code": error.code, "message": str(error.message)},
            )
    return problems


def _reassign(ticket: Ticket, engineer, *, now: datetime) -> Ticket | None:
    if ticket.assigned_engineer_id == engineer.pk:
        return None
    return ticket_transition(ticket=ticket, action="assign", actor=None, engineer=engineer, now=now)


def _raise_severity(ticket: Ticket, *, now: datetime) -> Ticket | None:
    higher = ticket.sla_policy.severities.filter(rank__lt=ticket.severity.rank).order_by("-rank").first()
    if higher is None:
        return None  # already the most severe
    return ticket_change_severity(ticket=ticket, severity=higher.code, actor=None, now=now)


def _sweep_ticket(
    ticket: Ticket,
    timers: list[Timer],
    *,
    now: datetime,
    ladder: Ladder,
    recipients: Recipients,
    result: SweepResult,
) -> None:
    """One case, its row and its timers locked: fire every due step of every due timer, plan each timer's next
    step, then run the steps' actions once for the case."""
    if any(timer.sla_error for timer in timers):
        # A deadline could not be worked out before (a broken calendar): try again first.
        timers_recompute(ticket, now=now, timers=timers)
    fired_steps = []
    for timer in timers:
        if timer.state not in SWEPT_STATES or timer.next_action_at is None or timer.next_action_at > now:
            continue
        timer.ticket = ticket
        for step, due in ladder.due_steps(timer, now=now):
            _fire(timer, step, due, now=now, recipients=recipients, result=result)
            result.fired += 1
            fired_steps.append(step)
            ladder.fired.setdefault(timer.pk, set()).add(step.pk)
        if timer.state == Timer.State.RUNNING and timer.due_at and timer.due_at <= now:
            timer.state, timer.breached_at = Timer.State.BREACHED, timer.due_at
        timer.next_action_at = ladder.next_action(timer, after=now)
        timer.sla_error, timer.sla_error_at = "", None
        timer.save(update_fields=["state", "breached_at", "next_action_at", "sla_error", "sla_error_at"])
        result.timers += 1
    # After the timers are saved: the actions recompute deadlines from the rows, so nothing stale is written.
    problems = _step_actions(ticket, fired_steps, now=now) if fired_steps else []
    if problems:
        Timer.objects.filter(ticket=ticket, pk__in=[t.pk for t in timers]).update(
            sla_error="; ".join(problems)[:2000], sla_error_at=now
        )


@dataclass
class Plan:
    """What the sweep does to one case's timers: the steps to fire and each swept timer's new state."""

    fires: list[tuple[Timer, EscalationStep, datetime]] = field(default_factory=list)
    timers: list[Timer] = field(default_factory=list)


def _has_actions(step: EscalationStep) -> bool:
    return bool(step.reassign_to_id or step.raise_severity or step.open_loaner)


def _plan(ticket: Ticket, timers: list[Timer], *, now: datetime, ladder: Ladder) -> Plan | None:
    """The case's due steps and its timers' next actions, worked out in memory; None when the case needs
    its own path (deadlines to work out again, steps with actions)."""
    if any(timer.sla_error for timer in timers):
        return None
    plan = Plan()
    for timer in timers:
        if timer.state not in SWEPT_STATES or timer.next_action_at is None or timer.next_action_at > now:
            continue
        timer.ticket = ticket
        for step, due in ladder.due_steps(timer, now=now):
            if _has_actions(step):
                return None
            plan.fires.append((timer, step, due))
        plan.timers.append(timer)
    fired = {timer.pk: {step.pk for t, step, _due in plan.fires if t is timer} for timer in plan.timers}
    for timer in plan.timers:
        ladder.fired.setdefault(timer.pk, set()).update(fired[timer.pk])
        if timer.state == Timer.State.RUNNING and timer.due_at and timer.due_at <= now:
            timer.state, timer.breached_at = Timer.State.BREACHED, timer.due_at
        timer.next_action_at = ladder.next_action(timer, after=now)
    return plan


ESCALATIONS_SQL = """
INSERT INTO tickets_escalation (timer_id, step_id, due_at, fired_at)
SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[], %s::timestamptz[])
ON CONFLICT (timer_id, step_id) DO NOTHING
RETURNING id, timer_id, step_id
"""
TIMERS_SQL = """
UPDATE tickets_timer t
   SET state = v.state, breached_at = v.breached_at, next_action_at = v.next_action_at,
       sla_error = '', sla_error_at = NULL
  FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[], %s::timestamptz[]) AS v(id, state, breached_at,
       next_action_at)
 WHERE t.id = v.id
"""


class Batch:
    """The planned cases of one batch, written in a fixed number of statements: one INSERT … ON CONFLICT DO
    NOTHING RETURNING for the escalations (the unique (timer, step) constraint keeps each step to one firing
    whatever other sweeps do: a step another sweep fired meanwhile is simply not returned, so nobody is
    told twice), one INSERT for the notifications, one for the case events, one UPDATE of the timers and
    one refresh of the cases' next deadlines."""

    def __init__(self, *, now: datetime):
        self.now = now
        self.plans: list[tuple[Ticket, Plan]] = []

    def add(self, ticket: Ticket, plan: Plan) -> None:
        if plan.timers:
            self.plans.append((ticket, plan))

    def write(self, *, recipients: Recipients, result: SweepResult) -> None:
        if not self.plans:
            return
        now = self.now
        fires = [fire for _ticket, plan in self.plans for fire in plan.fires]
        inserted: dict[tuple[int, int], int] = {}
        if fires:
            with connection.cursor() as cursor:
                cursor.execute(
                    ESCALATIONS_SQL,
                    [
                        [timer.pk for timer, _step, _due in fires],
                        [step.pk for _timer, step, _due in fires],
                        [due for _timer, _step, due in fires],
                        [now] * len(fires),
                    ],
                )
                inserted = {(timer_id, step_id): pk for pk, timer_id, step_id in cursor.fetchall()}
        notifications, events = [], []
        for timer, step, due in fires:
            escalation_id = inserted.get((timer.pk, step.pk))
            if escalation_id is None:
                continue  # fired by another sweep meanwhile: once is enough
            ticket = timer.ticket
            share = _share(step)
            title, body, texts = _message(timer, share)
            users = list(dict.fromkeys(recipients.for_step(step, ticket)))
            notifications += [
                Notification(
                    recipient_id=user_id,
                    kind="escalation",
                    title=title,
                    body=body,
                    texts=texts,
                    ticket=ticket,
                    escalation_id=escalation_id,
                    created_at=now,
                )
                for user_id in users
            ]
            events.append(
                TicketEvent(
                    ticket=ticket,
                    actor=None,
                    kind="escalation",
                    at=now,
                    data={
                        "metric": timer.metric.code,
                        "step": step.order,
                        "at": share,
                        "due": due.isoformat(),
                        "notified": users,
                    },
                )
            )
        notified: dict[int, list[int]] = defaultdict(list)
        for notification in Notification.objects.bulk_create(notifications):
            notified[notification.recipient_id].append(notification.pk)
        TicketEvent.objects.bulk_create(events)
        swept = [timer for _ticket, plan in self.plans for timer in plan.timers]
        with connection.cursor() as cursor:
            cursor.execute(
                TIMERS_SQL,
                [
                    [timer.pk for timer in swept],
                    [timer.state for timer in swept],
                    [timer.breached_at for timer in swept],
                    [timer.next_action_at for timer in swept],
                ],
            )
        for timer in swept:
            timer.sla_error, timer.sla_error_at = "", None
        refresh_next_due_at([ticket for ticket, _plan in self.plans])
        # Counted only once every statement went through (a failed batch is written again case by case).
        result.fired += len(inserted)
        result.timers += len(swept)
        for user_id, ids in notified.items():
            result.notified[user_id].extend(ids)


def _write(batch: Batch, timers: dict[int, list[Timer]], *, recipients: Recipients, result: SweepResult) -> None:
    """The batch in its statements; should they fail, each case again on its own, so one case that cannot
    be written is marked and skipped and every other is escalated all the same."""
    try:
        with transaction.atomic():
            batch.write(recipients=recipients, result=result)
        return
    except Exception:
        logger.exception("SLA sweep: a batch of %s cases failed; writing them one by one", len(batch.plans))
    for ticket, plan in batch.plans:
        single = Batch(now=batch.now)
        single.add(ticket, plan)
        try:
            with transaction.atomic():
                single.write(recipients=recipients, result=result)
        except Exception as error:
            _skip(ticket, timers[ticket.pk], error, now=batch.now, result=result)


def _share(step: EscalationStep) -> str:
    return f"{step.share_percent}%" if step.share_percent is not None else f"+{step.delay_minutes} min"


def _message(timer: Timer, share: str) -> tuple[str, str, dict]:
    """The escalation's title and text in the current language, and in every language for
    ``Notification.texts`` (each reader sees their own)."""
    ticket = timer.ticket

    def render():
        title = _("%(number)s: %(metric)s at %(share)s of its target") % {
            "number": ticket.number,
            "metric": timer.metric.label,
            "share": share,
        }
        body = _("Deadline %(due)s. %(description)s") % {
            "due": timezone.localtime(timer.due_at).strftime("%Y-%m-%d %H:%M") if timer.due_at else "—",
            "description": ticket.description[:200],
        }
        return title, body

    title, body = render()
    return title, body, in_every_language(render)


def _skip(ticket: Ticket, timers: list[Timer], error: Exception, *, now: datetime, result: SweepResult) -> None:
    logger.exception("SLA sweep: case %s failed and is skipped", ticket.number, exc_info=error)
    _mark_failed(ticket, timers, error, now=now)
    result.failed.append(ticket.pk)


def _due_cases(*, now: datetime, limit: int, skip: set[int]) -> list[int]:
    """Cases with a timer whose next action has come, in the order the actions came due (partial index)."""
    due = (
        Timer.objects.filter(state__in=SWEPT_STATES, next_action_at__lte=now)
        .exclude(ticket_id__in=skip)
        .order_by("next_action_at")
        .values_list("ticket_id", flat=True)[:limit]
    )
    return list(dict.fromkeys(due))


def sla_sweep(*, now: datetime, batch_size: int = 200) -> SweepResult:
    """Fire every ladder step due by ``now``. Cost follows the number of due timers, not of open cases.

    Batch by batch, in the lock order every action of a person uses: the cases' rows first (SKIP LOCKED: a
    case someone is changing right now is left for the next sweep), then their timers. Each case's steps are
    worked out in memory and the batch is written in a fixed number of statements (``Batch``), however many
    steps fire; a case whose deadlines must be worked out again or whose steps act on it (reassign, severity,
    substitute unit) runs on its own in a savepoint, through the services. A case that fails is logged,
    marked on its timers for admins (``sla_error``) and retried after ``RETRY_AFTER``, never left at the head
    of the queue, and the others go on."""
    result = SweepResult()
    recipients = Recipients()
    cache = PolicyCache()
    skip: set[int] = set()
    while True:
        with transaction.atomic():
            candidates = _due_cases(now=now, limit=batch_size, skip=skip)
            if not candidates:
                break
            locked = list(
                Ticket.objects.select_for_update(skip_locked=True, no_key=True)
                .filter(pk__in=candidates)
                .values_list("pk", flat=True)
            )
            # Read after locking (the bare rows: a locking join could drop a row changed meanwhile).
            tickets = {
                ticket.pk: ticket
                for ticket in Ticket.objects.filter(pk__in=locked).select_related(
                    "sla_policy__calendar", "severity", "serving_outlet"
                )
            }
            skip.update(set(candidates) - set(tickets))
            timers: dict[int, list[Timer]] = defaultdict(list)
            for timer in (
                Timer.objects.select_for_update(of=("self",))
                .filter(ticket_id__in=tickets)
                .select_related("metric")
                .order_by("ticket_id", "id")
            ):
                timers[timer.ticket_id].append(timer)
            ledgers: dict[int, list[TicketPause]] = defaultdict(list)
            for pause in TicketPause.objects.filter(ticket_id__in=tickets).order_by("started_at"):
                ledgers[pause.ticket_id].append(pause)
            fired = fired_steps([timer for group in timers.values() for timer in group])
            batch = Batch(now=now)
            for pk in candidates:
                if pk not in tickets:
                    continue
                ticket = tickets[pk]
                ladder = ladder_for(ticket, timers[pk], cache=cache, ledger=ledgers[pk], fired=fired)
                try:
                    plan = _plan(ticket, timers[pk], now=now, ladder=ladder)
                except Exception as error:  # one bad case must not stop the escalation of every other
                    _skip(ticket, timers[pk], error, now=now, result=result)
                    continue
                if plan is not None:
                    batch.add(ticket, plan)
                    continue
                # A case whose deadlines must be worked out again, or whose steps act on it (reassign, raise
                # the severity, a substitute unit): on its own, through the services, in a savepoint.
                done = SweepResult()
                try:
                    with transaction.atomic():
                        _sweep_ticket(ticket, timers[pk], now=now, ladder=ladder, recipients=recipients, result=done)
                except Exception as error:
                    _skip(ticket, timers[pk], error, now=now, result=result)
                    continue
                result.fired += done.fired
                result.timers += done.timers
                for user_id, ids in done.notified.items():
                    result.notified[user_id].extend(ids)
            _write(batch, timers, recipients=recipients, result=result)
            notified = {user: list(ids) for user, ids in result.notified.items()}
            result.notified.clear()
            # In the batch's transaction: the outbox rows commit with the escalations they announce.
            _send_digests(notified)
    return result


def _mark_failed(ticket: Ticket, timers: list[Timer], error: Exception, *, now: datetime) -> None:
    """Keep what went wrong on the case's due timers and try them again later."""
    text = calendar_check.message(error) if isinstance(error, business_time.CalendarError) else str(error)
    problem = f"{type(error).__name__}: {text}"[:2000]
    Timer.objects.filter(
        ticket=ticket, state__in=SWEPT_STATES, next_action_at__lte=now, pk__in=[t.pk for t in timers]
    ).update(sla_error=problem, sla_error_at=now, next_action_at=now + RETRY_AFTER)


def _send_digests(notified: dict[int, list[int]]) -> None:
    """Through the outbox (tasks named, so services never import the task modules): with the broker down
    the digests wait in the database for the beat relay."""
    outbox_enqueue_many(DIGEST_TASK, [(user_id, ids) for user_id, ids in notified.items()])
    if settings.NOTIFICATION_CHANNELS and notified:
        outbox_enqueue(CHANNELS_TASK, [pk for ids in notified.values() for pk in ids])


@transaction.atomic
def escalation_acknowledge(*, escalation: Escalation, actor, now: datetime | None = None) -> Escalation:
    now = now or timezone.now()
    escalation = Escalation.objects.select_for_update().select_related("timer__ticket").get(pk=escalation.pk)
    if escalation.acknowledged_at is not None:
        raise ConflictError(ALREADY_ACKNOWLEDGED, _("This escalation was already acknowledged."))
    escalation.acknowledged_at, escalation.acknowledged_by = now, actor
    escalation.save(update_fields=["acknowledged_at", "acknowledged_by"])
    Notification.objects.filter(escalation=escalation, recipient=actor, read_at__isnull=True).update(read_at=now)
    event(
        escalation.timer.ticket,
        actor=actor,
        kind="escalation_acknowledged",
        at=now,
        data={"step": escalation.step.order, "metric": escalation.timer.metric_id},
    )
    return escalation
