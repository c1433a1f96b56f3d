"""Repair cases, their events, pause ledger and SLA timers."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.models import Event
from tickets import transitions
from tickets.coverage_snapshot import CoverageSnapshot


class Ticket(models.Model):
    class Channel(models.TextChoices):
        PHONE = "phone", _("phone")
        EMAIL = "email", _("e-mail")
        WEB = "web", _("web")
        FAX = "fax", _("fax")
        WALK_IN = "walk_in", _("walk-in")
        DEALER = "dealer", _("dealer")

    class Status(models.TextChoices):
        NEW = transitions.NEW, transitions.STATUS_LABELS[transitions.NEW]
        ASSIGNED = transitions.ASSIGNED, transitions.STATUS_LABELS[transitions.ASSIGNED]
        IN_PROGRESS = transitions.IN_PROGRESS, transitions.STATUS_LABELS[transitions.IN_PROGRESS]
        WAITING_CUSTOMER = transitions.WAITING_CUSTOMER, transitions.STATUS_LABELS[transitions.WAITING_CUSTOMER]
        WAITING_PARTS = transitions.WAITING_PARTS, transitions.STATUS_LABELS[transitions.WAITING_PARTS]
        RESOLVED = transitions.RESOLVED, transitions.STATUS_LABELS[transitions.RESOLVED]
        CONFIRMED = transitions.CONFIRMED, transitions.STATUS_LABELS[transitions.CONFIRMED]
        CLOSED = transitions.CLOSED, transitions.STATUS_LABELS[transitions.CLOSED]
        CANCELLED = transitions.CANCELLED, transitions.STATUS_LABELS[transitions.CANCELLED]

    class WorkMode(models.TextChoices):
        NONE = "", _("not started")
        CONTACTED = "contacted", _("contacted")
        REMOTE = "remote", _("remote")
        ON_SITE = "on_site", _("on site")

    number = models.CharField(_("number"), max_length=20, unique=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    work_mode = models.CharField(_("work mode"), max_length=16, choices=WorkMode.choices, blank=True, default="")
    reporter_name = models.CharField(_("reported by"), max_length=100)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    customer = models.ForeignKey(
        "warranty.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    site = models.ForeignKey(
        "warranty.Site", verbose_name=_("site"), on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    # The site's province as the case was opened (ticket_create), on the case's own row: the lists' province
    # filter reads it from an index in the lists' order instead of joining every site of the province.
    province = models.CharField(_("province"), max_length=64, blank=True, db_default="", editable=False)
    unit = models.ForeignKey(
        "warranty.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    sla_policy = models.ForeignKey(
        "tickets.SLAPolicy",
        verbose_name=_("SLA policy"),
        on_delete=models.PROTECT,
        related_name="tickets",
        help_text=_("The policy version the case runs under."),
    )
    severity = models.ForeignKey(
        "tickets.Severity", verbose_name=_("severity"), on_delete=models.PROTECT, related_name="tickets"
    )
    category = models.CharField(_("category"), max_length=64, blank=True)
    description = models.TextField(_("fault description"))
    coverage_snapshot = models.JSONField(
        _("coverage at intake"),
        default=dict,
        blank=True,
        help_text=_("A versioned CoverageSnapshot (tickets.coverage_snapshot); empty for a case without a unit."),
    )
    coverage_policy_version = models.ForeignKey(
        "warranty.PolicyVersion",
        verbose_name=_("warranty terms at intake"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The policy version that decided the coverage at intake (and prices paid service)."),
    )
    coverage_contract = models.ForeignKey(
        "warranty.ServiceContract",
        verbose_name=_("service contract at intake"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    distance_km = models.PositiveIntegerField(_("distance from the outlet (km)"), null=True, blank=True)
    assigned_engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("engineer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    serving_outlet = models.ForeignKey(
        "dealers.Dealer",
        verbose_name=_("serving outlet"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="served_tickets",
    )
    reported_at = models.DateTimeField(_("reported at"))
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    chargeable = models.BooleanField(
        _("paid service"),
        default=False,
        help_text=_("Out of warranty or an excluded cause: work continues only after an approved quotation."),
    )
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    loaner_requested_at = models.DateTimeField(
        _("substitute unit requested at"),
        null=True,
        blank=True,
        help_text=_("The substitute-unit workflow started (by an escalation step or a person)."),
    )
    emergency_plan = models.TextField(_("emergency plan"), blank=True)
    complaint_due_at = models.DateTimeField(_("complaint to be answered by"), null=True, blank=True)
    complaint_answered_at = models.DateTimeField(_("complaint answered at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    # The earliest deadline of the case's open running or breached timers (None when none runs): the queue's
    # deadline order read from an index. Only tickets.services.timers.refresh_next_due_at writes it.
    next_due_at = models.DateTimeField(_("next deadline"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("repair case")
        verbose_name_plural = _("repair cases")
        indexes = [
            # The queue: open cases by status, newest first; and "my cases" per engineer.
            models.Index(fields=["status", "-reported_at"], name="ticket_status_reported"),
            models.Index(fields=["assigned_engineer", "status"], name="ticket_engineer_status"),
            models.Index(fields=["serving_outlet", "status"], name="ticket_outlet_status"),
            # Each list in its own order, so a page is the first rows of an index: the queue by next deadline
            # and newest first (open cases), my cases and today per engineer by deadline, the API's list.
            models.Index(
                fields=["next_due_at", "-reported_at", "-id"],
                name="ticket_open_next_due",
                condition=models.Q(status__in=transitions.OPEN_STATUSES),
            ),
            models.Index(
                fields=["-reported_at", "-id"],
                name="ticket_open_reported",
                condition=models.Q(status__in=transitions.OPEN_STATUSES),
            ),
            models.Index(
                fields=["assigned_engineer", "next_due_at", "-reported_at", "-id"],
                name="ticket_engineer_next_due",
                condition=models.Q(status__in=(*transitions.OPEN_STATUSES, transitions.RESOLVED)),
            ),
            models.Index(fields=["-reported_at", "-id"], name="ticket_reported"),
            # The lists' province filter: a page is the first rows of the province's cases newest first, and
            # with a severity too (as the filters usually come) of the province's cases of that severity.
            models.Index(
                fields=["province", "-reported_at", "-id"],
                name="ticket_province_reported",
                condition=~models.Q(province=""),
            ),
            models.Index(
                fields=["province", "severity", "-reported_at", "-id"],
                name="ticket_province_severity",
                condition=~models.Q(province=""),
            ),
            # The sweep's look for complaints past their answer deadline.
            models.Index(
                fields=["complaint_due_at"],
                name="ticket_complaint_open",
                condition=models.Q(complaint_due_at__isnull=False, complaint_answered_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reported_at__lte=models.F("created_at")), name="ticket_reported_not_after_created"
            ),
        ]

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        # A full save of a case read before its timers changed must not write back a stale next deadline.
        if not self._state.adding and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
            kwargs["update_fields"] = SAVED_FIELDS
        super().save(*args, **kwargs)

    @property
    def coverage(self) -> CoverageSnapshot | None:
        """The coverage decision at intake as a typed value (None for a case without a unit)."""
        return CoverageSnapshot.from_json(self.coverage_snapshot)


SAVED_FIELDS = [f.name for f in Ticket._meta.concrete_fields if not f.primary_key and f.name != "next_due_at"]


class TicketEvent(Event):
    ticket = models.ForeignKey(Ticket, verbose_name=_("case"), on_delete=models.PROTECT, related_name="events")

    class Meta(Event.Meta):
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        indexes = [models.Index(fields=["ticket", "at"], name="ticketevent_ticket_at")]

    def __str__(self):
        return f"{self.ticket_id} {self.kind}"


class TicketPause(models.Model):
    """The pause ledger: one interval per stay in a pausing status; deadlines are recomputed from it."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("case"), on_delete=models.CASCADE, related_name="pauses")
    status = models.CharField(_("status"), max_length=20)
    started_at = models.DateTimeField(_("paused at"))
    ended_at = models.DateTimeField(_("resumed at"), null=True, blank=True)

    class Meta:
        ordering = ["ticket", "started_at"]
        verbose_name = _("pause")
        verbose_name_plural = _("pauses")
        constraints = [
            models.UniqueConstraint(fields=["ticket"], condition=models.Q(ended_at=None), name="pause_one_open"),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True) | models.Q(ended_at__gte=models.F("started_at")),
                name="pause_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.status} {self.started_at}"


class Timer(models.Model):
    """One stored deadline per case and metric (architecture.md: stored, not recomputed on read)."""

    class State(models.TextChoices):
        RUNNING = "running", _("running")
        PAUSED = "paused", _("paused")
        MET = "met", _("met")
        BREACHED = "breached", _("breached")
        NOT_NEEDED = "not_needed", _("not needed")
        CANCELLED = "cancelled", _("cancelled")

    ticket = models.ForeignKey(Ticket, verbose_name=_("case"), on_delete=models.CASCADE, related_name="timers")
    metric = models.ForeignKey(
        "tickets.SLAMetric", verbose_name=_("metric"), on_delete=models.PROTECT, related_name="timers"
    )
    target_minutes = models.PositiveIntegerField(_("target (minutes)"))
    started_at = models.DateTimeField(_("started at"))
    due_at = models.DateTimeField(_("due at"), null=True, blank=True, help_text=_("Empty while paused."))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.RUNNING)
    met_at = models.DateTimeField(
        _("met at"), null=True, blank=True, help_text=_("When the work it times was done (in time or late).")
    )
    breached_at = models.DateTimeField(
        _("breached at"), null=True, blank=True, help_text=_("When the deadline passed, if it did.")
    )
    stopped_at = models.DateTimeField(
        _("stopped at"), null=True, blank=True, help_text=_("When it stopped for good: met, not needed or cancelled.")
    )
    business_minutes = models.PositiveIntegerField(
        _("business minutes used"),
        null=True,
        blank=True,
        help_text=_("From the start until it stopped, on the policy calendar, pauses left out."),
    )
    breach_minutes = models.PositiveIntegerField(
        _("late by (business minutes)"),
        null=True,
        blank=True,
        help_text=_("Business minutes past the target when it was met late or owed and not given."),
    )
    next_action_at = models.DateTimeField(_("next action at"), null=True, blank=True)
    # Set when the deadline or an escalation could not be worked out (a broken calendar, a step that failed):
    # the case is skipped and retried later, and admins find it by the "SLA problem" filter.
    sla_error = models.TextField(_("SLA problem"), blank=True, db_default="")
    sla_error_at = models.DateTimeField(_("SLA problem seen at"), null=True, blank=True)

    class Meta:
        ordering = ["ticket", "due_at"]
        verbose_name = _("SLA timer")
        verbose_name_plural = _("SLA timers")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "metric"], name="timer_unique_metric"),
            # The outcomes mean one thing each (see tickets.services.timers).
            models.CheckConstraint(
                condition=models.Q(state__in=["running", "paused"], stopped_at__isnull=True)
                | models.Q(state__in=["met", "not_needed", "cancelled"], stopped_at__isnull=False)
                | models.Q(state="breached"),
                name="timer_stopped_when_final",
            ),
            models.CheckConstraint(
                condition=models.Q(met_at__isnull=True) | models.Q(state__in=["met", "breached"]),
                name="timer_met_is_met_or_late",
            ),
        ]
        indexes = [
            # The escalation sweep reads active timers by their next action time (cost follows due timers only).
            models.Index(
                fields=["next_action_at"],
                name="timer_next_action_active",
                condition=models.Q(state__in=["running", "breached"], next_action_at__isnull=False),
            ),
            # Queue filters "due before" and sorting by what is due first.
            models.Index(fields=["due_at"], name="timer_due_running", condition=models.Q(state="running")),
            # The lists' "SLA state" filter: the cases with a timer in a state.
            models.Index(fields=["state", "ticket"], name="timer_state_ticket"),
            # Dashboards: compliance and medians per metric over the timers that stopped in a period.
            models.Index(
                fields=["metric", "stopped_at"], name="timer_stopped", condition=models.Q(stopped_at__isnull=False)
            ),
            # Dashboards: the open cases' timers (past due, at risk, open cases by SLA state) read from the index
            # alone, without visiting every timer of every open case.
            models.Index(
                fields=["ticket"],
                name="timer_open",
                include=["metric", "state", "due_at", "stopped_at"],
                condition=models.Q(stopped_at__isnull=True),
            ),
            # The admin's "SLA problem" filter: the few timers the sweep could not work on.
            models.Index(fields=["sla_error_at"], name="timer_sla_problem", condition=~models.Q(sla_error="")),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.metric_id} {self.state}"
