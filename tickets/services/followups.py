"""Follow-up calls (回访): due a few working days after resolution; a low score or a system not running
normally reopens the case as a complaint, which must be answered within the policy's working days."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.errors import ApplicationError, ConflictError
from aftersales.roles import Role
from tickets.models import FollowUp, Notification, Ticket
from tickets.services.clock import add_working_days, policy_calendar
from tickets.services.events import event
from tickets.services.notifications import (
    audience_for,
    in_every_language,
    role_audience,
    role_members,
    ticket_dealers,
)
from tickets.services.tickets import ticket_lock, ticket_transition

FOLLOWUP_DONE = "followup_done"
SCORE_INVALID = "score_invalid"
NO_COMPLAINT = "no_open_complaint"


@transaction.atomic
def followup_complete(
    *,
    followup: FollowUp,
    actor,
    attitude: int,
    quality: int,
    solved: int,
    runs_normally: bool,
    comments: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> FollowUp:
    """Record the survey. A score at or below the policy's threshold, or "not running normally", reopens the
    case as a complaint and tells the service managers."""
    now = now or timezone.now()
    # The case first, then its follow-up: the lock order of every change of a case.
    ticket = ticket_lock(followup.ticket, expected_version)
    followup = FollowUp.objects.select_for_update().get(pk=followup.pk)
    if followup.status == FollowUp.Status.DONE:
        raise ConflictError(FOLLOWUP_DONE, _("This follow-up is already done."))
    scores = {"attitude": attitude, "quality": quality, "solved": solved}
    bad = {name: [_("Give a score from 1 to 5.")] for name, value in scores.items() if not 1 <= value <= 5}
    if bad:
        raise ApplicationError(SCORE_INVALID, _("Scores go from 1 to 5."), details=bad)
    policy = ticket.sla_policy
    complaint = min(scores.values()) <= policy.followup_threshold or not runs_normally
    followup.status, followup.done_at, followup.done_by = FollowUp.Status.DONE, now, actor
    followup.attitude, followup.quality, followup.solved = attitude, quality, solved
    followup.runs_normally, followup.comments, followup.complaint = runs_normally, comments, complaint
    followup.save()
    ticket.version += 1
    ticket.save(update_fields=["version"])
    event(
        ticket,
        actor=actor,
        kind="followup_done",
        at=now,
        data={**scores, "runs_normally": runs_normally, "complaint": complaint},
    )
    if complaint:
        ticket = ticket_transition(ticket=ticket, action="reopen", actor=actor, now=now, note=_("complaint"))
        calendar = policy_calendar(policy, around=now)
        ticket.complaint_due_at = add_working_days(calendar, now, policy.complaint_days)
        ticket.complaint_answered_at = None
        ticket.save(update_fields=["complaint_due_at", "complaint_answered_at"])
        texts = in_every_language(
            lambda: (_("%(number)s: complaint after the follow-up call") % {"number": ticket.number}, comments[:500])
        )
        Notification.objects.bulk_create(
            Notification(
                recipient_id=user_id,
                kind="complaint",
                ticket=ticket,
                created_at=now,
                title=_("%(number)s: complaint after the follow-up call") % {"number": ticket.number},
                body=comments[:500],
                texts=texts,
            )
            for user_id in role_members(Role.SERVICE_MANAGER, dealers=ticket_dealers(ticket))
        )
        event(ticket, actor=actor, kind="complaint", at=now, data={"answer_by": ticket.complaint_due_at.isoformat()})
    return followup


@transaction.atomic
def complaint_answer(
    *, ticket: Ticket, actor, answer: str, expected_version: int | None = None, now: datetime | None = None
) -> Ticket:
    """Answer the open complaint of a case (on time or late, as the event says)."""
    now = now or timezone.now()
    ticket = ticket_lock(ticket, expected_version)
    if ticket.complaint_due_at is None or ticket.complaint_answered_at is not None:
        raise ConflictError(NO_COMPLAINT, _("There is no open complaint on this case."))
    ticket.complaint_answered_at = now
    ticket.version += 1
    ticket.save(update_fields=["complaint_answered_at", "version"])
    event(
        ticket,
        actor=actor,
        kind="complaint_answered",
        at=now,
        data={"answer": answer[:500], "late": now > ticket.complaint_due_at},
    )
    return ticket


def complaints_notify_overdue(*, now: datetime) -> int:
    """A complaint not answered by its deadline goes up to the department managers, once per complaint."""
    overdue = list(
        Ticket.objects.filter(complaint_due_at__lte=now, complaint_answered_at__isnull=True)
        .exclude(pk__in=Notification.objects.filter(kind="complaint_overdue").values("object_id"))
        .select_related("unit")
        .only("id", "number", "complaint_due_at", "serving_outlet_id", "unit_id", "unit__selling_dealer_id")[:1000]
    )
    audience = role_audience(Role.DEPARTMENT_MANAGER)
    Notification.objects.bulk_create(
        Notification(
            recipient_id=user_id,
            kind="complaint_overdue",
            object_id=ticket.pk,
            ticket=ticket,
            created_at=now,
            title=_("%(number)s: complaint not answered by %(due)s")
            % {"number": ticket.number, "due": timezone.localtime(ticket.complaint_due_at).strftime("%Y-%m-%d %H:%M")},
            texts=in_every_language(
                lambda ticket=ticket: (
                    _("%(number)s: complaint not answered by %(due)s")
                    % {
                        "number": ticket.number,
                        "due": timezone.localtime(ticket.complaint_due_at).strftime("%Y-%m-%d %H:%M"),
                    },
                    "",
                )
            ),
        )
        for ticket in overdue
        for user_id in audience_for(audience, ticket_dealers(ticket))
    )
    return len(overdue)
