"""Escalation: the sweep that fires due ladder steps exactly once, and acknowledging an escalation.

The sweep reads only timers whose ``next_action_at`` has come (a partial index serves it) and works on their
cases in batches, each case locked with SKIP LOCKED so several workers share the work; the unique (timer,
step) constraint is the last word on "exactly once" when sweeps overlap, retry or crash mid-batch. A sweep
that did not run for a while fires every step that came due meanwhile, once. When each step comes due is the
ladder's business (tickets.services.ladder), on the SLA clock.

A batch is set-based: one statement finds its due cases and locks them, one locks their timers, each case's
steps are worked out in memory, and the escalations, notifications, events and timers are written in one
statement, so the sweep's cost per step is a share of a few statements, not a few statements.
"""

from __future__ import annotations

import functools
import gc
import logging
from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aftersales.db import int_array, text_array
from aftersales.errors import ApplicationError, ConflictError
from aftersales.models import User
from aftersales.outbox import outbox_enqueue, outbox_enqueue_many
from aftersales.stamps import StampedCache
from tickets import business_time, calendar_check
from tickets.models import (
    Escalation,
    EscalationStep,
    Notification,
    SLAMetric,
    SLAPolicy,
    Ticket,
    Timer,
)
from tickets.services.billing import loaner_request
from tickets.services.events import event
from tickets.services.ladder import Ladder, PolicyCache, fired_steps, ladder_for
from tickets.services.notifications import audience_for, role_audience, ticket_dealers
from tickets.services.sla_config import STAMP_SQL
from tickets.services.tickets import ticket_change_severity, ticket_transition
from tickets.services.timers import RETRY_AFTER, refresh_next_due_at, timers_recompute

logger = logging.getLogger(__name__)

DIGEST_TASK = "tickets.notification_digest"
CHANNELS_TASK = "tickets.notification_channels"
SWEPT_STATES = (Timer.State.RUNNING, Timer.State.BREACHED)
ALREADY_ACKNOWLEDGED = "already_acknowledged"
# Due timers per batch: each batch costs a fixed number of statements and one commit, so a catch-up of
# thousands of steps goes in few of them; a person's action on a case of the batch waits for its commit.
BATCH_SIZE = 1000


@dataclass
class SweepResult:
    fired: int = 0
    timers: int = 0
    failed: list[int] = field(default_factory=list)  # cases skipped because their sweep failed
    notified: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))


class Recipients:
    """Who a step tells, with role members and outlet staff looked up once per sweep (the outlets of a batch
    in one query, ``load_outlets``)."""

    def __init__(self):
        self._roles: dict[str, list[tuple[int, int | None]]] = {}
        self._outlets: dict[int, list[int]] = {}

    def for_step(self, step: EscalationStep, ticket: Ticket | Case) -> list[int]:
        if step.recipient == EscalationStep.Recipient.ASSIGNEE:
            return [ticket.assigned_engineer_id] if ticket.assigned_engineer_id else self.role("service_desk", ticket)
        if step.recipient == EscalationStep.Recipient.OUTLET and ticket.serving_outlet_id:
            self.load_outlets([ticket.serving_outlet_id])
            return self._outlets[ticket.serving_outlet_id]
        if step.recipient == EscalationStep.Recipient.ROLE:
            return self.role(step.role, ticket)
        if step.recipient == EscalationStep.Recipient.USER and step.user_id:
            return [step.user_id]
        return []

    def load_outlets(self, outlets: Iterable[int | None]) -> None:
        """The staff of every outlet named not read yet, in one query."""
        missing = {outlet for outlet in outlets if outlet and outlet not in self._outlets}
        if not missing:
            return
        for outlet in missing:
            self._outlets[outlet] = []
        members = User.objects.filter(dealer_membership__dealer_id__in=missing).order_by("dealer_membership__id")
        for outlet, user_id in members.values_list("dealer_membership__dealer_id", "id"):
            self._outlets[outlet].append(user_id)

    def role(self, role: str, ticket: Ticket | Case) -> list[int]:
        """The role's members who may see this case (a dealer's people only for their dealer's cases)."""
        if role not in self._roles:
            self._roles[role] = role_audience(role)
        audience = self._roles[role]
        if not any(dealer for _user, dealer in audience):
            return audience_for(audience, ())
        dealers = ticket.dealers() if isinstance(ticket, Case) else ticket_dealers(ticket)
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
    title, body, texts = Messages().render(timer, share)
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
    reassign = next((step.reassign_to_id for step in reversed(steps) if step.reassign_to_id), None)
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


def _reassign(ticket: Ticket, engineer_id: int, *, now: datetime) -> Ticket | None:
    if ticket.assigned_engineer_id == engineer_id:
        return None
    # Read here, not through the step: the ladder's steps are kept between sweeps (``_configuration``), the
    # engineer's row is not under the configuration stamp.
    engineer = User.objects.get(pk=engineer_id)
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


@dataclass(slots=True)
class Case:
    """What the sweep reads of a case it locked: the columns its ladder, its texts and its recipients need
    (a batch holds hundreds of cases; a case whose steps act on it is read in full, ``_sweep_alone``)."""

    pk: int
    number: str
    description: str  # the first 200 characters, all a notification shows
    assigned_engineer_id: int | None
    serving_outlet_id: int | None
    selling_dealer_id: int | None  # of the case's unit
    sla_policy: SLAPolicy
    reported_at: datetime

    def dealers(self) -> set[int]:
        """The dealers the case belongs to (as ``ticket_dealers``): its outlet, its unit's seller."""
        return {owner for owner in (self.serving_outlet_id, self.selling_dealer_id) if owner}


@dataclass(slots=True)
class SweptTimer:
    """A locked timer as the sweep plans it (the columns the ladder reads and the sweep writes)."""

    pk: int
    ticket_id: int
    metric: SLAMetric
    target_minutes: int
    started_at: datetime
    due_at: datetime | None
    state: str
    breached_at: datetime | None
    next_action_at: datetime | None
    sla_error: str
    ticket: Case | None = None

    @property
    def metric_id(self) -> int:
        return self.metric.pk


@dataclass(slots=True)
class Pause:
    status: str
    started_at: datetime
    ended_at: datetime | None


@dataclass
class Plan:
    """What the sweep does to one case's timers: the steps to fire and each swept timer's new state."""

    fires: list[tuple[SweptTimer, EscalationStep, datetime]] = field(default_factory=list)
    timers: list[SweptTimer] = field(default_factory=list)
    state_changed: bool = False  # a timer went past its deadline (the case's next deadline is looked at again)


def _has_actions(step: EscalationStep) -> bool:
    return bool(step.reassign_to_id or step.raise_severity or step.open_loaner)


def _plan(ticket: Case, timers: list[SweptTimer], *, now: datetime, ladder: Ladder) -> Plan | None:
    """The case's due steps and its timers' next actions, worked out in memory; None when the case needs
    its own path (deadlines to work out again, steps with actions)."""
    if any(timer.sla_error for timer in timers):
        return None
    plan = Plan()
    upcoming = {}
    for timer in timers:
        if timer.state not in SWEPT_STATES or timer.next_action_at is None or timer.next_action_at > now:
            continue
        timer.ticket = ticket
        due, upcoming[timer.pk] = ladder.plan(timer, now=now)
        for step, when in due:
            if _has_actions(step):
                return None
            plan.fires.append((timer, step, when))
        plan.timers.append(timer)
    for timer in plan.timers:
        ladder.fired.setdefault(timer.pk, set()).update(step.id for t, step, _due in plan.fires if t is timer)
        if timer.state == Timer.State.RUNNING and timer.due_at and timer.due_at <= now:
            timer.state, timer.breached_at = Timer.State.BREACHED, timer.due_at
            plan.state_changed = True
        timer.next_action_at = upcoming[timer.pk]
    return plan


# The due cases of one batch, their rows locked, in one statement: the timers whose next action has come
# (the partial index on next_action_at), in the order they came due, each case locked with SKIP LOCKED in
# a lateral subquery of its own, so a case someone holds comes back with ``locked`` NULL and is left for the
# next sweep (the lock is on the bare row: nothing joined to it can drop or stale it). Each row carries the
# SLA configuration stamp, read before the policies it stands for (``_configuration``).
DUE_SQL = f"""
SELECT due.ticket_id, k.locked, k.number, k.description, k.assigned_engineer_id, k.serving_outlet_id,
       k.selling_dealer_id, k.sla_policy_id, k.reported_at, ({STAMP_SQL})::text AS config_stamp
  FROM (SELECT ticket_id, min(next_action_at) AS first_due
          FROM (SELECT ticket_id, next_action_at
                  FROM tickets_timer
                 WHERE state = ANY(%(states)s) AND next_action_at <= %(now)s AND NOT ticket_id = ANY(%(skip)s::bigint[])
                 ORDER BY next_action_at
                 LIMIT %(limit)s) AS timers
         GROUP BY ticket_id) AS due
  LEFT JOIN LATERAL (
        SELECT true AS locked, c.number, left(c.description, 200) AS description, c.assigned_engineer_id,
               c.serving_outlet_id, c.sla_policy_id, c.reported_at,
               (SELECT u.selling_dealer_id FROM warranty_unit u WHERE u.id = c.unit_id) AS selling_dealer_id
          FROM tickets_ticket c
         WHERE c.id = due.ticket_id
           FOR NO KEY UPDATE SKIP LOCKED
  ) AS k ON true
 ORDER BY due.first_due, due.ticket_id
"""
# Then their timers, locked in the order every action of a person uses (the case's row first).
TIMERS_LOCK_SQL = """
SELECT id, ticket_id, metric_id, target_minutes, started_at, due_at, state, breached_at, next_action_at, sla_error
  FROM tickets_timer
 WHERE ticket_id = ANY(%s::bigint[])
 ORDER BY ticket_id, id
   FOR UPDATE
"""
PAUSES_SQL = """
SELECT ticket_id, status, started_at, ended_at
  FROM tickets_ticketpause
 WHERE ticket_id = ANY(%s::bigint[])
 ORDER BY started_at
"""


@functools.cache
def _batch_sql(languages: int, shown: int, current: int) -> str:
    """The one statement that writes a batch, as data-modifying CTEs: the escalations (INSERT … ON CONFLICT
    DO NOTHING RETURNING: the unique (timer, step) constraint keeps each step to one firing whatever other
    sweeps do), the notifications and case events of the escalations it returned and of no other (a step
    another sweep fired meanwhile is told by that sweep, never twice), and the timers' new state. Every
    column travels as one array literal (``aftersales.db``); the fired steps' texts as one text per
    language, ``Notification.texts`` and the event's data built from them by the server. Returns how many
    escalations were written and the notifications' ids and recipients, in the order they were written.

    ``languages``: how many of the ``shown`` languages go into ``texts`` (the first ones); ``current``: the
    one the notification's own title and text are in."""
    texts = ", ".join(f"%(titles_{i})s::text[], %(bodies_{i})s::text[]" for i in range(shown))
    columns = ", ".join(f"title_{i}, body_{i}" for i in range(shown))
    per_language = ", ".join(
        f"%(language_{i})s::text, jsonb_build_object('title', f.title_{i}, 'body', f.body_{i})"
        for i in range(languages)
    )
    return f"""
WITH fire AS (
    SELECT *
      FROM unnest(%(timers)s::bigint[], %(steps)s::bigint[], %(dues)s::text[], %(tickets)s::bigint[],
                  %(metrics)s::text[], %(orders)s::int[], %(shares)s::text[], {texts}) WITH ORDINALITY
           AS f(timer_id, step_id, due, ticket_id, metric, step, share, {columns}, position)
), escalation AS (
    INSERT INTO tickets_escalation (timer_id, step_id, due_at, fired_at)
    SELECT timer_id, step_id, due::timestamptz, %(now)s FROM fire ORDER BY position
        ON CONFLICT (timer_id, step_id) DO NOTHING
    RETURNING id, timer_id, step_id
), fired AS (
    SELECT f.*, e.id AS escalation_id FROM fire f JOIN escalation e USING (timer_id, step_id)
), told AS (
    SELECT * FROM unnest(%(told)s::bigint[], %(users)s::bigint[]) WITH ORDINALITY AS r(fire, recipient_id, position)
), notification AS (
    INSERT INTO tickets_notification
           (recipient_id, kind, title, body, texts, ticket_id, escalation_id, object_id, created_at)
    SELECT r.recipient_id, 'escalation', f.title_{current}, f.body_{current}, jsonb_build_object({per_language}),
           f.ticket_id, f.escalation_id, NULL, %(now)s
      FROM told r JOIN fired f ON f.position = r.fire
     ORDER BY r.position
    RETURNING id, recipient_id
), event AS (
    INSERT INTO tickets_ticketevent (actor_id, kind, from_state, to_state, data, at, ticket_id)
    SELECT NULL, 'escalation', '', '',
           jsonb_build_object('metric', f.metric, 'step', f.step, 'at', f.share, 'due', f.due,
                              'notified', coalesce(n.notified, '[]'::jsonb)),
           %(now)s, f.ticket_id
      FROM fired f
      LEFT JOIN (SELECT fire, jsonb_agg(recipient_id ORDER BY position) AS notified FROM told GROUP BY fire) n
        ON n.fire = f.position
     ORDER BY f.position
), timer AS (
    -- ``t.id = ANY`` as well as the join: the planner then reads the batch's timers by their key, where the
    -- join alone was planned as a hash of every timer (a sequential scan growing with the open cases).
    UPDATE tickets_timer t
       SET state = v.state, breached_at = v.breached_at, next_action_at = v.next_action_at,
           sla_error = '', sla_error_at = NULL
      FROM unnest(%(ids)s::bigint[], %(states)s::text[], %(breached)s::timestamptz[], %(next)s::timestamptz[])
           AS v(id, state, breached_at, next_action_at)
     WHERE t.id = v.id AND t.id = ANY(%(ids)s::bigint[])
)
SELECT (SELECT count(*) FROM escalation),
       (SELECT array_agg(id ORDER BY id) FROM notification),
       (SELECT array_agg(recipient_id ORDER BY id) FROM notification)
"""


class Messages:
    """The escalation texts: a step's title and text in the current language and in every language of the
    product (``Notification.texts``, each reader sees their own). Each language's wording and each metric's
    name are looked up once (a sweep keeps one ``Messages``), so a fired step costs a string substitution
    per language, and its text is made once for all its recipients."""

    def __init__(self):
        self.languages = list(User.Language.values)
        self.current = translation.get_language()
        # The languages a step is rendered in: the product's, and the current one when it is none of them
        # (the notification's own title and text are in the current language).
        self.shown = self.languages + ([] if self.current in self.languages else [self.current])
        self.current_index = self.shown.index(self.current)
        self.zone = timezone.get_current_timezone()  # deadlines shown as timezone.localtime shows them
        self._wording: dict[str | None, tuple[str, str]] = {}
        self._metrics: dict[tuple[str | None, int], str] = {}
        self._by_metric: dict[int, list[tuple[str, str, str]]] = {}

    def _words(self, language: str | None) -> tuple[str, str]:
        if language not in self._wording:
            with translation.override(language):
                self._wording[language] = (
                    _("%(number)s: %(metric)s at %(share)s of its target"),
                    _("Deadline %(due)s. %(description)s"),
                )
        return self._wording[language]

    def _metric(self, language: str | None, metric: SLAMetric) -> str:
        key = (language, metric.pk)
        if key not in self._metrics:
            with translation.override(language):
                self._metrics[key] = str(metric.label)
        return self._metrics[key]

    def texts(self, timer: Timer | SweptTimer, share: str) -> list[tuple[str, str]]:
        """(title, text) of the step in each language of ``shown``, in that order, titles cut to the column."""
        ticket = timer.ticket
        if timer.due_at:
            local = timer.due_at.astimezone(self.zone)
            due = f"{local.year:04d}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"
        else:
            due = "—"
        number, description = ticket.number, ticket.description[:200]
        return [
            (
                (title % {"number": number, "metric": metric, "share": share})[:200],
                body % {"due": due, "description": description},
            )
            for title, body, metric in self._forms(timer.metric)
        ]

    def _forms(self, metric: SLAMetric) -> list[tuple[str, str, str]]:
        """(title, text, metric name) in each language of ``shown``: looked up once per metric, since a sweep
        renders a thousand steps a batch."""
        forms = self._by_metric.get(metric.id)
        if forms is None:
            forms = self._by_metric[metric.id] = [
                (*self._words(language), self._metric(language, metric)) for language in self.shown
            ]
        return forms

    def render(self, timer: Timer | SweptTimer, share: str) -> tuple[str, str, dict]:
        """The title and text in the current language and ``Notification.texts``."""
        rendered = self.texts(timer, share)
        texts = {
            code: {"title": title, "body": body} for code, (title, body) in zip(self.languages, rendered, strict=False)
        }
        title, body = rendered[self.current_index]
        return title, body, texts


class Batch:
    """The planned cases of one batch, written in one statement however many steps fire (``_batch_sql``):
    the escalations, their notifications and case events, and the timers; then, when a timer went past its
    deadline, one refresh of those cases' next deadlines."""

    def __init__(self, *, now: datetime):
        self.now = now
        self.plans: list[tuple[Case, Plan]] = []

    def add(self, ticket: Case, plan: Plan) -> None:
        if plan.timers:
            self.plans.append((ticket, plan))

    def write(self, *, recipients: Recipients, messages: Messages, result: SweepResult) -> None:
        if not self.plans:
            return
        fires = [fire for _ticket, plan in self.plans for fire in plan.fires]
        swept = [timer for _ticket, plan in self.plans for timer in plan.timers]
        recipients.load_outlets(
            timer.ticket.serving_outlet_id
            for timer, step, _due in fires
            if step.recipient == EscalationStep.Recipient.OUTLET
        )
        # Every fired step's texts and recipients, worked out before the statement: it writes the
        # notifications and events of the escalations it inserts only (a step another sweep fired meanwhile
        # is dropped there, its texts unused).
        shown = len(messages.shown)
        titles: list[list[str]] = [[] for _language in range(shown)]
        bodies: list[list[str]] = [[] for _language in range(shown)]
        dues, metrics, orders, shares, told, users = [], [], [], [], [], []
        for position, (timer, step, due) in enumerate(fires, start=1):  # WITH ORDINALITY counts from 1
            share = _share(step)
            for language, (title, body) in enumerate(messages.texts(timer, share)):
                titles[language].append(title)
                bodies[language].append(body)
            dues.append(due.isoformat())
            metrics.append(timer.metric.code)
            orders.append(step.order)
            shares.append(share)
            recipients_of_step = dict.fromkeys(recipients.for_step(step, timer.ticket))
            told += [position] * len(recipients_of_step)
            users += recipients_of_step
        params = {
            "now": self.now,
            "timers": int_array(timer.pk for timer, _step, _due in fires),
            "steps": int_array(step.id for _timer, step, _due in fires),
            "tickets": int_array(timer.ticket_id for timer, _step, _due in fires),
            "dues": text_array(dues),
            "metrics": text_array(metrics),
            "orders": int_array(orders),
            "shares": text_array(shares),
            "told": int_array(told),
            "users": int_array(users),
            "ids": int_array(timer.pk for timer in swept),
            "states": text_array(timer.state for timer in swept),
            "breached": text_array(_iso(timer.breached_at) for timer in swept),
            "next": text_array(_iso(timer.next_action_at) for timer in swept),
        }
        for language in range(shown):
            params[f"titles_{language}"] = text_array(titles[language])
            params[f"bodies_{language}"] = text_array(bodies[language])
        for language, code in enumerate(messages.languages):
            params[f"language_{language}"] = code
        with connection.cursor() as cursor:
            cursor.execute(_batch_sql(len(messages.languages), shown, messages.current_index), params)
            inserted, notification_ids, recipient_ids = cursor.fetchone()
        for timer in swept:
            timer.sla_error = ""
        # The next deadline reads the timers' states and deadlines; the sweep changes a state only when a
        # deadline passed (running → breached), and only those cases are looked at again.
        changed = [ticket.pk for ticket, plan in self.plans if plan.state_changed]
        if changed:
            refresh_next_due_at(changed)
        # Counted only once every statement went through (a failed batch is written again case by case).
        result.fired += inserted
        result.timers += len(swept)
        for pk, user_id in zip(notification_ids or (), recipient_ids or (), strict=True):
            result.notified[user_id].append(pk)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _write(
    batch: Batch,
    timers: dict[int, list[SweptTimer]],
    *,
    recipients: Recipients,
    messages: Messages,
    result: SweepResult,
) -> None:
    """The batch in its statements; should they fail, each case again on its own, so one case that cannot
    be written is marked and skipped and every other is escalated all the same."""
    try:
        with transaction.atomic():
            batch.write(recipients=recipients, messages=messages, result=result)
        return
    except Exception:
        logger.exception("SLA sweep: a batch of %s cases failed; writing them one by one", len(batch.plans))
    for ticket, plan in batch.plans:
        single = Batch(now=batch.now)
        single.add(ticket, plan)
        try:
            with transaction.atomic():
                single.write(recipients=recipients, messages=messages, result=result)
        except Exception as error:
            _skip(ticket, timers[ticket.pk], error, now=batch.now, result=result)


def _share(step: EscalationStep) -> str:
    return f"{step.share_percent}%" if step.share_percent is not None else f"+{step.delay_minutes} min"


def _skip(ticket, timers, error: Exception, *, now: datetime, result: SweepResult) -> None:
    logger.exception("SLA sweep: case %s failed and is skipped", ticket.number, exc_info=error)
    _mark_failed(ticket, timers, error, now=now)
    result.failed.append(ticket.pk)


class _Rows:
    """What the sweep reads of the SLA configuration for the cases it locks: policies (with their calendars)
    and metrics by id, and the ladders' steps and calendars (``ladders``), each read once, then kept."""

    def __init__(self):
        self.policies: dict[int, SLAPolicy] = {}
        self.metrics: dict[int, SLAMetric] = {}
        self.ladders = PolicyCache()

    def policy(self, pk: int) -> SLAPolicy:
        if pk not in self.policies:
            self.policies.update(SLAPolicy.objects.select_related("calendar").in_bulk([pk]))
        return self.policies[pk]

    def load_policies(self, ids: Iterable[int]) -> None:
        missing = set(ids) - set(self.policies)
        if missing:
            self.policies.update(SLAPolicy.objects.select_related("calendar").in_bulk(missing))

    def metric(self, pk: int) -> SLAMetric:
        if pk not in self.metrics:
            self.metrics.update(SLAMetric.objects.in_bulk())
        return self.metrics[pk]


# The SLA configuration a sweep reads, kept per process under the configuration stamp (the one case intake
# keeps its policies under, tickets.services.sla_config): every write to what it is read from — policies,
# metrics, ladders, calendars, their windows and dates, statutory schedules — by any path gives a new stamp,
# so the first batch after an edit reads it again and nothing stale is used, while a worker's every sweep
# does not read the same rows again (a handful of queries and their ORM work per sweep). One stamp's at a
# time: what is kept is bounded by the configuration, not by the backlog.
_configurations = StampedCache("tickets_slaconfigstamp", size=1)


def _configuration(stamp: str | None) -> _Rows:
    """The configuration read under ``stamp``, or a new one to read (kept when there is a stamp)."""
    return _configurations.get("sweep", stamp, _Rows)


def forget() -> None:
    """Drop the configuration this process keeps (tests that count a cold sweep's reads)."""
    _configurations.forget()


def _lock_batch(*, now: datetime, limit: int, skip: set[int]) -> tuple[list[int], dict[int, Case], _Rows]:
    """The batch's due cases (ids, in the order their actions came due), those of them locked here, and the
    SLA configuration they are swept with."""
    with connection.cursor() as cursor:
        cursor.execute(DUE_SQL, {"states": list(SWEPT_STATES), "now": now, "skip": sorted(skip), "limit": limit})
        found = cursor.fetchall()
    rows = _configuration(found[0][9] if found else None)
    rows.load_policies({row[7] for row in found if row[1]})
    cases = {}
    for pk, locked, number, description, engineer, outlet, seller, policy, reported_at, _stamp in found:
        if locked:
            cases[pk] = Case(pk, number, description, engineer, outlet, seller, rows.policy(policy), reported_at)
    return [row[0] for row in found], cases, rows


def _lock_timers(cases: dict[int, Case], rows: _Rows) -> dict[int, list[SweptTimer]]:
    timers: dict[int, list[SweptTimer]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(TIMERS_LOCK_SQL, [int_array(cases)])
        for pk, ticket_id, metric_id, minutes, started, due, state, breached, action, error in cursor.fetchall():
            timers[ticket_id].append(
                SweptTimer(pk, ticket_id, rows.metric(metric_id), minutes, started, due, state, breached, action, error)
            )
    return timers


def _ledgers(cases: dict[int, Case]) -> dict[int, list[Pause]]:
    ledgers: dict[int, list[Pause]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(PAUSES_SQL, [int_array(cases)])
        for ticket_id, status, started, ended in cursor.fetchall():
            ledgers[ticket_id].append(Pause(status, started, ended))
    return ledgers


def _sweep_alone(
    case: Case,
    *,
    now: datetime,
    cache: PolicyCache,
    fired: dict[int, set[int]],
    recipients: Recipients,
    result: SweepResult,
) -> None:
    """A case whose deadlines must be worked out again, or whose steps act on it (reassign, raise the
    severity, a substitute unit): read in full (its row and timers are locked already) and swept on its own
    through the services, in a savepoint."""
    done = SweepResult()
    with transaction.atomic():
        ticket = Ticket.objects.select_related("sla_policy__calendar", "severity", "serving_outlet").get(pk=case.pk)
        timers = list(Timer.objects.filter(ticket=ticket).select_related("metric").order_by("id"))
        ladder = ladder_for(ticket, timers, cache=cache, fired={t.pk: fired.get(t.pk, set()) for t in timers})
        _sweep_ticket(ticket, timers, now=now, ladder=ladder, recipients=recipients, result=done)
    result.fired += done.fired
    result.timers += done.timers
    for user_id, ids in done.notified.items():
        result.notified[user_id].extend(ids)


def sla_sweep(*, now: datetime, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Fire every ladder step due by ``now``. Cost follows the number of due timers, not of open cases.

    Batch by batch, in the lock order every action of a person uses: the cases' rows first (one statement
    finds the due cases and locks them, SKIP LOCKED: a case someone is changing right now is left for the
    next sweep), then their timers. Each case's steps are worked out in memory and the batch is written in a
    fixed number of statements (``Batch``), however many steps fire; a case whose deadlines must be worked
    out again or whose steps act on it (reassign, severity, substitute unit) runs on its own in a savepoint,
    through the services. A case that fails is logged, marked on its timers for admins (``sla_error``) and
    retried after ``RETRY_AFTER``, never left at the head of the queue, and the others go on. What a sweep
    keeps between batches does not grow with the backlog (role members; and per process, under the SLA
    configuration stamp, policies, metrics, ladders and calendars: ``_configuration``)."""
    result = SweepResult()
    recipients = Recipients()
    messages = Messages()
    skip: set[int] = set()
    while True:
        with _collector_paused(), transaction.atomic():
            candidates, cases, rows = _lock_batch(now=now, limit=batch_size, skip=skip)
            if not candidates:
                break
            skip.update(pk for pk in candidates if pk not in cases)
            if not cases:
                continue
            cache = rows.ladders
            cache.calendars.forget_days()
            timers = _lock_timers(cases, rows)
            ledgers = _ledgers(cases)
            fired = fired_steps([timer.pk for group in timers.values() for timer in group])
            batch = Batch(now=now)
            for pk, case in cases.items():
                try:
                    clock = cache.clock(case, ledgers[pk])
                    plan = _plan(case, timers[pk], now=now, ladder=cache.ladder(case.sla_policy, clock, fired))
                except Exception as error:  # one bad case must not stop the escalation of every other
                    _skip(case, timers[pk], error, now=now, result=result)
                    continue
                if plan is not None:
                    batch.add(case, plan)
                    continue
                try:
                    _sweep_alone(case, now=now, cache=cache, fired=fired, recipients=recipients, result=result)
                except Exception as error:
                    _skip(case, timers[pk], error, now=now, result=result)
            _write(batch, timers, recipients=recipients, messages=messages, result=result)
            notified = {user: list(ids) for user, ids in result.notified.items()}
            result.notified.clear()
            # In the batch's transaction: the outbox rows commit with the escalations they announce.
            _send_digests(notified)
    return result


@contextmanager
def _collector_paused():
    """Python's cyclic garbage collector off for one batch. A batch makes some hundred thousand short-lived
    objects (rows, plans, texts), freed by reference counting as it ends; on their count the collector would
    run scores of times within it, and now and then a full collection walking every object of the worker
    process, a pause that grows with the process, not with the batch (measured: a third of a batch's time).
    Collections resume between batches; a sweep's own cycles are few and bounded by the batch."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _mark_failed(ticket: Ticket | Case, timers: list, error: Exception, *, now: datetime) -> None:
    """Keep what went wrong on the case's due timers and try them again later."""
    text = calendar_check.message(error) if isinstance(error, business_time.CalendarError) else str(error)
    problem = f"{type(error).__name__}: {text}"[:2000]
    Timer.objects.filter(
        ticket_id=ticket.pk, state__in=SWEPT_STATES, next_action_at__lte=now, pk__in=[t.pk for t in timers]
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
