"""Escalation: when each ladder step is due for a timer, and the sweep that fires due steps exactly once.

The sweep reads only timers whose ``next_action_at`` has come (a partial index serves it), in batches locked
with SKIP LOCKED so several workers share the work; the unique (timer, step) constraint is the last word on
"exactly once" when sweeps overlap, retry or crash mid-batch. A sweep that did not run for a while fires every
step that came due meanwhile, once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.errors import ConflictError
from tickets.models import Escalation, EscalationStep, Notification, Ticket, TicketPause, Timer
from tickets.services.events import event
from tickets.services.ladder import PolicyCache, ladder_for, step_applies, step_due
from tickets.services.notifications import role_members
from tickets.services.tickets import ticket_change_severity

SWEPT_STATES = (Timer.State.RUNNING, Timer.State.BREACHED)
ALREADY_ACKNOWLEDGED = "already_acknowledged"


@dataclass
class SweepResult:
    fired: int = 0
    timers: int = 0
    notified: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))


class Recipients:
    """Who a step tells, with role members looked up once per sweep."""

    def __init__(self):
        self._roles: dict[str, list[int]] = {}

    def for_step(self, step: EscalationStep, ticket: Ticket) -> list[int]:
        if step.recipient == EscalationStep.Recipient.ASSIGNEE:
            return [ticket.assigned_engineer_id] if ticket.assigned_engineer_id else self.role("service_desk")
        if step.recipient == EscalationStep.Recipient.OUTLET and ticket.serving_outlet_id:
            return list(ticket.serving_outlet.members.values_list("user_id", flat=True))
        if step.recipient == EscalationStep.Recipient.ROLE:
            return self.role(step.role)
        if step.recipient == EscalationStep.Recipient.USER and step.user_id:
            return [step.user_id]
        return []

    def role(self, role: str) -> list[int]:
        if role not in self._roles:
            self._roles[role] = role_members(role)
        return self._roles[role]


def _fire(
    timer: Timer, step: EscalationStep, due: datetime, *, now: datetime, recipients: Recipients, result: SweepResult
) -> bool:
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(timer=timer, step=step, due_at=due, fired_at=now)
    except IntegrityError:
        return False  # fired before (an overlapping or retried sweep): never twice
    ticket = timer.ticket
    share = f"{step.share_percent}%" if step.share_percent is not None else f"+{step.delay_minutes} min"
    title = _("%(number)s: %(metric)s at %(share)s of its target") % {
        "number": ticket.number,
        "metric": timer.metric.name,
        "share": share,
    }
    body = _("Deadline %(due)s. %(description)s") % {
        "due": timezone.localtime(timer.due_at).strftime("%Y-%m-%d %H:%M") if timer.due_at else "—",
        "description": ticket.description[:200],
    }
    notifications = Notification.objects.bulk_create(
        Notification(
            recipient_id=user_id,
            kind="escalation",
            title=title,
            body=body,
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
    return True


def _step_actions(timer: Timer, steps: list[EscalationStep], *, now: datetime) -> None:
    """What else the fired steps do: raise the severity, reassign, start the substitute-unit workflow."""
    ticket = timer.ticket
    for step in steps:
        if step.reassign_to_id and ticket.assigned_engineer_id != step.reassign_to_id:
            Ticket.objects.filter(pk=ticket.pk).update(assigned_engineer_id=step.reassign_to_id)
            event(ticket, actor=None, kind="reassigned", at=now, data={"to": step.reassign_to_id})
        if step.open_loaner:
            event(ticket, actor=None, kind="loaner_requested", at=now, data={"metric": timer.metric.code})
    if any(step.raise_severity for step in steps):
        higher = ticket.sla_policy.severities.filter(rank__lt=ticket.severity.rank).order_by("-rank").first()
        if higher is not None:
            ticket_change_severity(ticket=ticket, severity=higher.code, actor=None, now=now)


def escalate_timer(
    timer: Timer,
    *,
    now: datetime,
    recipients: Recipients,
    result: SweepResult,
    cache: PolicyCache | None = None,
    ledger: list[TicketPause] | None = None,
    fired: set[int] | None = None,
) -> None:
    """Fire every step of this timer that is due by ``now`` and not fired yet; plan the next one."""
    ticket = timer.ticket
    ladder = ladder_for(
        ticket, [timer], cache=cache, ledger=ledger, fired=None if fired is None else {timer.pk: set(fired)}
    )
    fired_steps = []
    for step in ladder.steps:
        if not step_applies(step, timer) or step.pk in ladder.fired.get(timer.pk, set()):
            continue
        due = step_due(step, timer, ladder.clock)
        if due is None or due > now:
            continue
        if _fire(timer, step, due, now=now, recipients=recipients, result=result):
            result.fired += 1
            fired_steps.append(step)
        ladder.fired.setdefault(timer.pk, set()).add(step.pk)
    if timer.state == Timer.State.RUNNING and timer.due_at and timer.due_at <= now:
        timer.state, timer.breached_at = Timer.State.BREACHED, timer.due_at
    timer.next_action_at = ladder.next_action(timer, after=now)
    timer.save(update_fields=["state", "breached_at", "next_action_at"])
    if fired_steps:
        _step_actions(timer, fired_steps, now=now)


def sla_sweep(*, now: datetime, batch_size: int = 200) -> SweepResult:
    """Fire every ladder step due by ``now``. Cost follows the number of due timers, not of open cases."""
    result = SweepResult()
    recipients = Recipients()
    cache = PolicyCache()
    while True:
        with transaction.atomic():
            batch = list(
                Timer.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(state__in=SWEPT_STATES, next_action_at__lte=now)
                .select_related("metric", "ticket__sla_policy__calendar", "ticket__severity", "ticket__serving_outlet")
                .order_by("next_action_at")[:batch_size]
            )
            if not batch:
                break
            ledgers: dict[int, list[TicketPause]] = defaultdict(list)
            for pause in TicketPause.objects.filter(ticket_id__in={t.ticket_id for t in batch}).order_by("started_at"):
                ledgers[pause.ticket_id].append(pause)
            fired: dict[int, set[int]] = defaultdict(set)
            for timer_id, step_id in Escalation.objects.filter(timer__in=batch).values_list("timer_id", "step_id"):
                fired[timer_id].add(step_id)
            for timer in batch:
                escalate_timer(
                    timer,
                    now=now,
                    recipients=recipients,
                    result=result,
                    cache=cache,
                    ledger=ledgers[timer.ticket_id],
                    fired=fired[timer.pk],
                )
            result.timers += len(batch)
            notified = {user: list(ids) for user, ids in result.notified.items()}
            result.notified.clear()
            transaction.on_commit(lambda notified=notified: _send_digests(notified))
    return result


def _send_digests(notified: dict[int, list[int]]) -> None:
    from django.conf import settings

    from tickets.tasks import notification_channels_task, notification_digest_task

    for user_id, ids in notified.items():
        notification_digest_task.delay(user_id, ids)
    if settings.NOTIFICATION_CHANNELS and notified:
        notification_channels_task.delay([pk for ids in notified.values() for pk in ids])


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
