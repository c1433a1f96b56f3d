"""Factories for cases and SLA set-ups. Cases are opened through ``ticket_create`` (timers, events), never
written as bare rows."""

from datetime import datetime

import factory
from django.utils import timezone

from aftersales.roles import Role
from aftersales.tests.factories import UserFactory
from tickets.models import BusinessCalendar, EscalationStep, SLAMetric, SLAPolicy
from tickets.services.tickets import ticket_create


class CaseFactory(factory.Factory):
    """``CaseFactory(severity="minor", reported_at=...)``; the other fields of ``ticket_create`` as keywords."""

    class Meta:
        model = dict  # built by the service, see _create

    actor = factory.LazyFunction(lambda: UserFactory(role=Role.SERVICE_DESK))
    channel = "phone"
    reporter_name = factory.Sequence(lambda n: f"报修人{n}")
    description = "设备故障"
    severity = "major"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        reported_at = kwargs.get("reported_at")
        kwargs.setdefault("now", reported_at or timezone.now())
        return ticket_create(**kwargs)

    _build = _create


class CalendarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessCalendar

    name = factory.Sequence(lambda n: f"calendar {n}")
    timezone = "Asia/Shanghai"
    always_open = True


def policy_with_ladder(*, code: str, calendar: BusinessCalendar, minutes: int = 60, now: datetime | None = None):
    """A policy with one severity ("major"), a first-response target of ``minutes`` and a one-step ladder
    (the assignee at 100 %)."""
    policy = SLAPolicy.objects.create(
        code=code, name=code, effective_from="2020-01-01", calendar=calendar, created_at=now or timezone.now()
    )
    severity = policy.severities.create(code="major", name="major", rank=1)
    policy.targets.create(severity=severity, metric=SLAMetric.objects.get(code="first_response"), minutes=minutes)
    EscalationStep.objects.create(policy=policy, order=1, share_percent=100, recipient="assignee")
    return policy
