"""Recurring-fault early warning (层层预警): problem codes whose count per product model in a month, quarter or
year crosses a configured threshold, or rises faster than their own history; acknowledged and routed to R&D
(technical issue) or to training (service issue); the quality managers told once.

Counts come from the units' repair records (warranty.dashboards: every repair once, whoever reported it; only
quality problems with a problem code). Periods are calendar months, quarters and years of business dates in
``settings.TIME_ZONE``. Beat runs :func:`early_warnings_run` (``EARLY_WARNING_SECONDS``); running it again,
or twice at once, raises and notifies nothing twice: one warning per model, code, window and period (a
unique constraint), and ``notified_at`` set under a row lock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from aftersales.dates import business_date, business_zone
from aftersales.errors import ApplicationError, ConflictError
from aftersales.models import User
from aftersales.outbox import outbox_enqueue
from aftersales.roles import Role
from tickets.models import EarlyWarning, EarlyWarningEvent, EarlyWarningRule, Notification
from tickets.models.early_warning import Window
from tickets.services.notifications import in_every_language
from warranty import dashboards as warranty_dashboards
from warranty.models import ProductModel

logger = logging.getLogger(__name__)

ROUTE_REQUIRED = "route_required"
ALREADY_ACKNOWLEDGED = "warning_acknowledged"
NOTIFY_BATCH = 200
MONTHS = {Window.MONTH: 1, Window.QUARTER: 3, Window.YEAR: 12}


# -- periods -------------------------------------------------------------------------------------------


def _shift(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_of(window: str, day: date) -> tuple[date, date]:
    """The calendar month, quarter or year ``day`` falls in: [first day, first day of the next)."""
    size = MONTHS[window]
    first_month = (day.month - 1) // size * size + 1
    start = date(day.year, first_month, 1)
    return start, _shift(start, size)


def periods_before(window: str, start: date, count: int) -> list[tuple[date, date]]:
    """The ``count`` periods before the one starting on ``start``, oldest first."""
    size = MONTHS[window]
    return [(_shift(start, -size * n), _shift(start, -size * (n - 1))) for n in range(count, 0, -1)]


def instant(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=business_zone())


def period_label(window: str, start: date) -> str:
    if window == Window.MONTH:
        return f"{start:%Y-%m}"
    if window == Window.QUARTER:
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    return f"{start.year}"


# -- what a warning says -------------------------------------------------------------------------------


def history_text(warning: EarlyWarning) -> str:
    """How the count compares with its own history, e.g. "3.0× the last 6 months' average (1.33)"."""
    n = warning.history_windows
    if not warning.baseline:
        return {
            Window.MONTH: ngettext("none in the previous month", "none in the previous %(n)s months", n),
            Window.QUARTER: ngettext("none in the previous quarter", "none in the previous %(n)s quarters", n),
            Window.YEAR: ngettext("none in the previous year", "none in the previous %(n)s years", n),
        }[warning.window] % {"n": n}
    text = {
        Window.MONTH: ngettext(
            "%(ratio)s× the last month's count (%(baseline)s)",
            "%(ratio)s× the last %(n)s months' average (%(baseline)s)",
            n,
        ),
        Window.QUARTER: ngettext(
            "%(ratio)s× the last quarter's count (%(baseline)s)",
            "%(ratio)s× the last %(n)s quarters' average (%(baseline)s)",
            n,
        ),
        Window.YEAR: ngettext(
            "%(ratio)s× the last year's count (%(baseline)s)",
            "%(ratio)s× the last %(n)s years' average (%(baseline)s)",
            n,
        ),
    }[warning.window]
    return text % {"ratio": warning.ratio, "n": n, "baseline": warning.baseline.normalize()}


def describe(warning: EarlyWarning, model: ProductModel | None = None) -> str:
    """The warning in the active language: what recurred, where, how often, and why it is a warning."""
    model = model or warning.product_model
    reasons = []
    if warning.over_threshold:
        reasons.append(_("reached the threshold of %(threshold)s") % {"threshold": warning.threshold})
    if warning.over_history:
        reasons.append(_("rose faster than its history"))
    return _("%(code)s on %(model)s: %(count)s faults in %(period)s, %(history)s — %(reasons)s.") % {
        "code": warning.problem_code,
        "model": model.code,
        "count": warning.count,
        "period": period_label(warning.window, warning.period_start),
        "history": history_text(warning),
        "reasons": _("; ").join(reasons),
    }


# -- detection -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Crossing:
    product_model_id: int
    problem_code: str
    count: int
    baseline: Decimal
    over_threshold: bool
    over_history: bool


def crossings(rule: EarlyWarningRule, *, period: tuple[date, date]) -> list[Crossing]:
    """The (model, problem code) pairs that cross ``rule`` in ``period``, from one counting query."""
    history = periods_before(rule.window, period[0], rule.history_windows)
    windows = [(instant(start), instant(end)) for start, end in [*history, period]]
    rows = warranty_dashboards.problem_code_counts(
        windows=windows,
        product_model_ids=None if rule.product_model_id is None else [rule.product_model_id],
        problem_code=rule.problem_code,
    )
    found = []
    for row in rows:
        *before, count = row["counts"]
        baseline = (Decimal(sum(before)) / len(before)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        over_threshold = rule.threshold is not None and count >= rule.threshold
        over_history = (
            rule.growth_factor is not None and count >= rule.min_count and count >= rule.growth_factor * baseline
        )
        if over_threshold or over_history:
            found.append(
                Crossing(row["product_model_id"], row["problem_code"], count, baseline, over_threshold, over_history)
            )
    return found


def _specific_first(rule: EarlyWarningRule):
    return (rule.product_model_id is None, rule.problem_code == "", rule.pk)


def early_warnings_detect(*, now: datetime) -> int:
    """Raise the warnings the active rules call for in the current period of each window (and the one
    before, so a run missed at a month's turn catches up). A warning already raised for its model, code,
    window and period keeps its first rule and gets the latest count. Returns how many were raised."""
    today = business_date(now)
    rules = sorted(EarlyWarningRule.objects.filter(is_active=True), key=_specific_first)
    raised = 0
    for rule in rules:
        current = period_of(rule.window, today)
        for period in (periods_before(rule.window, current[0], 1)[0], current):
            for crossing in crossings(rule, period=period):
                raised += _raise(rule, crossing, period=period, now=now)
    return raised


@transaction.atomic
def _raise(rule: EarlyWarningRule, crossing: Crossing, *, period: tuple[date, date], now: datetime) -> int:
    key = {
        "product_model_id": crossing.product_model_id,
        "problem_code": crossing.problem_code,
        "window": rule.window,
        "period_start": period[0],
    }
    figures = {
        "count": crossing.count,
        "baseline": crossing.baseline,
        "over_threshold": crossing.over_threshold,
        "over_history": crossing.over_history,
    }
    warning = EarlyWarning.objects.select_for_update().filter(**key).first()
    if warning is None:
        try:
            with transaction.atomic():
                warning = EarlyWarning.objects.create(
                    rule=rule,
                    period_end=period[1],
                    history_windows=rule.history_windows,
                    threshold=rule.threshold,
                    growth_factor=rule.growth_factor,
                    raised_at=now,
                    updated_at=now,
                    **key,
                    **figures,
                )
        except IntegrityError:  # a concurrent run raised it first
            return 0
        _event(warning, kind="raised", actor=None, at=now, data={"rule": rule.pk, "count": crossing.count})
        return 1
    if warning.rule_id != rule.pk or all(getattr(warning, name) == value for name, value in figures.items()):
        return 0
    before = warning.count
    for name, value in figures.items():
        setattr(warning, name, value)
    warning.updated_at = now
    warning.save(update_fields=[*figures, "updated_at"])
    _event(warning, kind="count_changed", actor=None, at=now, data={"from": before, "to": crossing.count})
    return 0


def _event(warning: EarlyWarning, *, kind: str, actor, at: datetime, from_state="", to_state="", data=None):
    return EarlyWarningEvent.objects.create(
        warning=warning, kind=kind, actor=actor, at=at, from_state=from_state, to_state=to_state, data=data or {}
    )


# -- notification --------------------------------------------------------------------------------------


def quality_managers() -> list[User]:
    """Who is told of new warnings: the manufacturer's active quality managers."""
    return list(
        User.objects.filter(groups__name=Role.QUALITY_MANAGER, is_active=True, dealer_membership__isnull=True)
        .distinct()
        .order_by("id")
    )


def _link(warning: EarlyWarning) -> str:
    try:
        return reverse("dashboards:warning", args=[warning.pk])
    except NoReverseMatch:  # the dashboards app is not installed
        return ""


def early_warnings_notify(*, now: datetime) -> int:
    """Tell the quality managers of every warning not notified yet, once: one in-app notification each (in
    their language) and one e-mail digest per person through the outbox. With no quality manager appointed
    the warnings wait (logged) and are sent to the first one appointed. Returns how many warnings went out."""
    recipients = quality_managers()
    if not recipients:
        if EarlyWarning.objects.filter(notified_at__isnull=True).exists():
            logger.warning("Early warnings wait: nobody has the quality manager role.")
        return 0
    sent = 0
    while True:
        with transaction.atomic():
            batch = list(
                EarlyWarning.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(notified_at__isnull=True)
                .select_related("product_model")
                .order_by("raised_at", "id")[:NOTIFY_BATCH]
            )
            if not batch:
                return sent
            notifications = []
            for user in recipients:
                with translation.override(user.language):
                    for warning in batch:
                        link = _link(warning)
                        notifications.append(
                            Notification(
                                recipient=user,
                                kind="early_warning",
                                object_id=warning.pk,
                                created_at=now,
                                title=_("Recurring fault: %(code)s on %(model)s")
                                % {"code": warning.problem_code, "model": warning.product_model.code},
                                body=describe(warning) + (f"\n{link}" if link else ""),
                                texts=in_every_language(
                                    lambda warning=warning, link=link: (
                                        _("Recurring fault: %(code)s on %(model)s")
                                        % {"code": warning.problem_code, "model": warning.product_model.code},
                                        describe(warning) + (f"\n{link}" if link else ""),
                                    )
                                ),
                            )
                        )
            created = Notification.objects.bulk_create(notifications)
            EarlyWarning.objects.filter(pk__in=[w.pk for w in batch]).update(notified_at=now)
            for warning in batch:
                _event(warning, kind="notified", actor=None, at=now, data={"recipients": [u.pk for u in recipients]})
            by_user: dict[int, list[int]] = {}
            for notification in created:
                by_user.setdefault(notification.recipient_id, []).append(notification.pk)
            for user_id, ids in by_user.items():
                outbox_enqueue("tickets.notification_digest", user_id, ids, now=now)
            sent += len(batch)
            if len(batch) < NOTIFY_BATCH:
                return sent


def early_warnings_run(*, now: datetime) -> tuple[int, int]:
    """The beat job: detect, then notify. Returns (raised, notified)."""
    return early_warnings_detect(now=now), early_warnings_notify(now=now)


# -- acknowledgement -----------------------------------------------------------------------------------


@transaction.atomic
def early_warning_acknowledge(
    *, warning: EarlyWarning, actor, route: str, note: str = "", now: datetime | None = None
) -> EarlyWarning:
    """Acknowledge a warning and route it: to R&D (a technical issue) or to training (a service issue).
    Once only: a second acknowledgement is a conflict. Writes an event."""
    now = now or timezone.now()
    if route not in (EarlyWarning.Route.RD, EarlyWarning.Route.TRAINING):
        raise ApplicationError(
            ROUTE_REQUIRED,
            _("Say where the warning goes: R&D or training."),
            details={"route": [_("Choose R&D (technical issue) or training (service issue).")]},
        )
    warning = EarlyWarning.objects.select_for_update().get(pk=warning.pk)
    if warning.status == EarlyWarning.Status.ACKNOWLEDGED:
        raise ConflictError(ALREADY_ACKNOWLEDGED, _("This warning was already acknowledged."))
    warning.status = EarlyWarning.Status.ACKNOWLEDGED
    warning.route, warning.note = route, note
    warning.acknowledged_at, warning.acknowledged_by = now, actor
    warning.save(update_fields=["status", "route", "note", "acknowledged_at", "acknowledged_by"])
    _event(
        warning,
        kind="acknowledged",
        actor=actor,
        at=now,
        from_state=EarlyWarning.Status.OPEN,
        to_state=warning.status,
        data={"route": route, "note": note[:500]},
    )
    return warning
