"""Celery tasks: thin wrappers that take ids, call one service, and can be re-run without harm."""

import smtplib

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from aftersales.dates import business_date
from tickets.dashboards.summaries import sla_summaries_refresh
from tickets.services.early_warning import early_warnings_run
from tickets.services.escalation import sla_sweep
from tickets.services.followups import complaints_notify_overdue
from tickets.services.holidays import holiday_gaps_notify
from tickets.services.notifications import notification_channels_send, notification_digest_send
from tickets.services.visits import visits_generate, visits_notify_overdue


@shared_task(name="tickets.sla_sweep", ignore_result=True)
def sla_sweep_task() -> int:
    """Beat runs this every SLA_SWEEP_SECONDS; overlapping runs are safe (SKIP LOCKED + unique steps)."""
    now = timezone.now()
    complaints_notify_overdue(now=now)
    return sla_sweep(now=now).fired


@shared_task(
    name="tickets.notification_digest",
    ignore_result=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=8,
)
def notification_digest_task(user_id: int, notification_ids: list[int]) -> None:
    """One e-mail for everything a sweep told this person (a digest, not fifty mails)."""
    notification_digest_send(user_id=user_id, notification_ids=notification_ids)


@shared_task(
    name="tickets.notification_channels",
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=8,
)
def notification_channels_task(notification_ids: list[int]) -> None:
    """Hand a sweep's notifications to every configured outbound channel (webhook / SMS gateway)."""
    notification_channels_send(notification_ids=notification_ids)


@shared_task(name="tickets.visits_generate", ignore_result=True)
def visits_generate_task() -> int:
    """Daily: the visits due over the next VISIT_HORIZON_DAYS, each created once."""
    today = business_date()
    visits_notify_overdue(today=today)
    return visits_generate(today=today, horizon_days=settings.VISIT_HORIZON_DAYS)


@shared_task(name="tickets.early_warnings", ignore_result=True)
def early_warnings_task() -> int:
    """Beat runs this every EARLY_WARNING_SECONDS: raise recurring-fault warnings, tell the quality managers
    once (re-running or overlapping runs raise and notify nothing twice)."""
    _raised, notified = early_warnings_run(now=timezone.now())
    return notified


@shared_task(name="tickets.holiday_gaps_notify", ignore_result=True)
def holiday_gaps_notify_task() -> int:
    """Beat runs this every HOLIDAY_CHECK_SECONDS: the admins are told once of each year without China's
    statutory holiday data over the next HOLIDAY_HORIZON_DAYS days (re-runs tell nobody twice)."""
    return holiday_gaps_notify(now=timezone.now())


@shared_task(name="tickets.sla_summaries_refresh", ignore_result=True)
def sla_summaries_refresh_task() -> int:
    """Beat runs this every SLA_SUMMARY_SECONDS: the SLA dashboard's day summaries of the days whose timers
    changed are recomputed (idempotent; a run finding another at work stops). Returns the days recomputed."""
    return sla_summaries_refresh().days
