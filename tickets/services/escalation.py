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
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.errors import ApplicationError, ConflictError
from aftersales.outbox import outbox_enqueue
from tickets import business_time, calendar_check
from tickets.models import Escalation, EscalationStep, Notification, Ticket, TicketPause, Timer
from tickets.services.billing import loaner_request
from tickets.services.events import event
from tickets.services.ladder import Ladder, PolicyCache, fired_steps, ladder_for
from tickets.services.notifications import audience_for, in_every_language, role_audience, ticket_dealers
from tickets.services.tickets import ticket_change_severity, ticket_transition
from tickets.services.timers import RETRY_AFTER, timers_recompute

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
    share = f"{step.share_percent}%" if step.share_percent is not None else f"+{step.delay_minutes} min"

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

    texts = in_every_language(render)
    title, body = render()
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

    Case by case, in the lock order every action of a person uses: the case row first (SKIP LOCKED: a case
    someone is changing right now is left for the next sweep), then its timers. Each case runs in a savepoint:
    one that fails is rolled back, logged, marked on its timers for admins (``sla_error``) and retried after
    ``RETRY_AFTER``, never left at the head of the queue."""
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
            for pk in candidates:
                if pk not in tickets:
                    continue
                ticket = tickets[pk]
                ladder = ladder_for(ticket, timers[pk], cache=cache, ledger=ledgers[pk], fired=fired)
                done = SweepResult()
                try:
                    with transaction.atomic():
                        _sweep_ticket(ticket, timers[pk], now=now, ladder=ladder, recipients=recipients, result=done)
                except Exception as error:  # one bad case must not stop the escalation of every other
                    logger.exception("SLA sweep: case %s failed and is skipped", ticket.number)
                    _mark_failed(ticket, timers[pk], error, now=now)
                    result.failed.append(ticket.pk)
                    continue
                result.fired += done.fired
                result.timers += done.timers
                for user_id, ids in done.notified.items():
                    result.notified[user_id].extend(ids)
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
    for user_id, ids in notified.items():
        outbox_enqueue(DIGEST_TASK, user_id, ids)
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
