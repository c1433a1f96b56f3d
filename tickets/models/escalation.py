"""Escalation ladders, the escalations fired (exactly once per timer and step), and in-app notifications."""

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class EscalationStep(models.Model):
    """One rung of a policy's ladder: when (a share of the target, or a fixed delay) and who is told."""

    class Recipient(models.TextChoices):
        ASSIGNEE = "assignee", _("the assigned engineer")
        OUTLET = "outlet", _("the serving outlet's staff")
        ROLE = "role", _("everyone in a role")
        USER = "user", _("a named user")

    policy = models.ForeignKey(
        "tickets.SLAPolicy", verbose_name=_("policy"), on_delete=models.CASCADE, related_name="escalation_steps"
    )
    metric = models.ForeignKey(
        "tickets.SLAMetric",
        verbose_name=_("metric"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: every metric of the policy."),
    )
    order = models.PositiveSmallIntegerField(_("order"))
    share_percent = models.PositiveIntegerField(
        _("share of the target, in percent"),
        null=True,
        blank=True,
        help_text=_("75 = three quarters of the target used; 150 = half the target past the deadline."),
    )
    delay_minutes = models.PositiveIntegerField(
        _("or after minutes"), null=True, blank=True, help_text=_("Business minutes after the timer started.")
    )
    recipient = models.CharField(_("who is told"), max_length=16, choices=Recipient.choices)
    role = models.CharField(_("role"), max_length=32, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    raise_severity = models.BooleanField(_("raise the severity"), default=False)
    reassign_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reassign to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    open_loaner = models.BooleanField(_("start the substitute-unit workflow"), default=False)

    class Meta:
        ordering = ["policy", "order"]
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "metric", "order"], name="escalationstep_unique_order", nulls_distinct=False
            ),
            models.CheckConstraint(
                condition=models.Q(share_percent__isnull=False, delay_minutes__isnull=True)
                | models.Q(share_percent__isnull=True, delay_minutes__isnull=False),
                name="escalationstep_one_trigger",
            ),
        ]

    def __str__(self):
        when = f"{self.share_percent}%" if self.share_percent is not None else f"+{self.delay_minutes} min"
        return f"{self.policy} #{self.order} {when} → {self.recipient} {self.role}"


class Escalation(models.Model):
    """A step fired for a timer. The unique constraint makes every step happen exactly once, whatever the
    sweeps do (overlap, retry, crash mid-batch)."""

    # Lookups by timer use escalation_once_per_step (timer, step).
    timer = models.ForeignKey(
        "tickets.Timer", verbose_name=_("timer"), on_delete=models.CASCADE, related_name="escalations", db_index=False
    )
    step = models.ForeignKey(
        EscalationStep, verbose_name=_("step"), on_delete=models.PROTECT, related_name="escalations"
    )
    due_at = models.DateTimeField(_("due at"))
    fired_at = models.DateTimeField(_("fired at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["timer", "fired_at"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [models.UniqueConstraint(fields=["timer", "step"], name="escalation_once_per_step")]

    def __str__(self):
        return f"{self.timer_id} step {self.step_id}"


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=32)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    texts = models.JSONField(
        _("texts per language"),
        default=dict,
        blank=True,
        help_text=_("The title and text in each language of the product; shown in the reader's language."),
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("case"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    escalation = models.ForeignKey(
        Escalation,
        verbose_name=_("escalation"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    object_id = models.PositiveBigIntegerField(
        _("about object"), null=True, blank=True, help_text=_("The visit (or other row) a notification is about.")
    )
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The header's unread count and the inbox.
            models.Index(
                fields=["recipient", "-created_at"],
                name="notification_unread",
                condition=models.Q(read_at__isnull=True),
            ),
        ]

    def __str__(self):
        return self.shown_title

    def _shown(self, part: str) -> str:
        language = get_language() or ""
        for code in (language, language.split("-")[0]):
            found = (self.texts or {}).get(code)
            if found and part in found:
                return found[part]
        return getattr(self, part)

    @property
    def shown_title(self) -> str:
        """The title in the reader's language (as rendered for each language when it was sent)."""
        return self._shown("title")

    @property
    def shown_body(self) -> str:
        return self._shown("body")


class SavedQueueView(models.Model):
    """A user's named queue filter: the query string of the queue page, listed above its filters."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="queue_views"
    )
    name = models.CharField(_("name"), max_length=60)
    query = models.CharField(_("filters"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("saved queue view")
        verbose_name_plural = _("saved queue views")
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_queue_view_unique_name")]

    def __str__(self):
        return self.name
