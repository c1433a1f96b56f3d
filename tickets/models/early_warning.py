"""Recurring-fault early warning (层层预警): configured thresholds on how often a problem code recurs per
product model in a month, quarter or year; the warnings raised, acknowledged and routed to R&D or training."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.models import Event


class Window(models.TextChoices):
    MONTH = "month", _("month")
    QUARTER = "quarter", _("quarter")
    YEAR = "year", _("year")


class EarlyWarningRule(models.Model):
    """Warn when a product model's faults of one problem code in a window reach ``threshold``, or rise to
    ``growth_factor`` times their average over the previous ``history_windows`` windows."""

    name = models.CharField(_("name"), max_length=200)
    window = models.CharField(_("counted per"), max_length=8, choices=Window.choices, default=Window.MONTH)
    product_model = models.ForeignKey(
        "warranty.ProductModel",
        verbose_name=_("product model"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: every model."),
    )
    problem_code = models.CharField(_("problem code"), max_length=64, blank=True, help_text=_("Empty: every code."))
    threshold = models.PositiveIntegerField(
        _("warn at a count of"), null=True, blank=True, help_text=_("Faults of one code per model in one window.")
    )
    growth_factor = models.DecimalField(
        _("or at this many times its history"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("e.g. 3: the count reaches three times its average over the previous windows."),
    )
    history_windows = models.PositiveSmallIntegerField(
        _("history (windows)"), default=6, help_text=_("How many previous windows the average is taken over.")
    )
    min_count = models.PositiveSmallIntegerField(
        _("growth counts from"),
        default=3,
        help_text=_("A rise is a warning only from this many faults (one fault after none is not a trend)."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["window", "name"]
        verbose_name = _("early-warning rule")
        verbose_name_plural = _("early-warning rules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(threshold__isnull=False) | models.Q(growth_factor__isnull=False),
                name="ewrule_has_a_trigger",
            ),
            models.CheckConstraint(
                condition=models.Q(threshold__isnull=True) | models.Q(threshold__gte=1),
                name="ewrule_threshold_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(growth_factor__isnull=True) | models.Q(growth_factor__gt=1),
                name="ewrule_growth_above_one",
            ),
            models.CheckConstraint(
                condition=models.Q(history_windows__gte=1, history_windows__lte=36), name="ewrule_history_range"
            ),
        ]

    def __str__(self):
        return self.name


class EarlyWarning(models.Model):
    """One problem code of one model crossing a rule in one window; raised once per window (a unique
    constraint), its count kept up to date while the window runs."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")

    class Route(models.TextChoices):
        NONE = "", _("not routed")
        RD = "rd", _("R&D (technical issue)")
        TRAINING = "training", _("training (service issue)")

    rule = models.ForeignKey(
        EarlyWarningRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="warnings"
    )
    product_model = models.ForeignKey(
        "warranty.ProductModel", verbose_name=_("product model"), on_delete=models.PROTECT, related_name="+"
    )
    problem_code = models.CharField(_("problem code"), max_length=64)
    window = models.CharField(_("window"), max_length=8, choices=Window.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until"), help_text=_("Exclusive."))
    count = models.PositiveIntegerField(_("faults"))
    baseline = models.DecimalField(
        _("average of the previous windows"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    history_windows = models.PositiveSmallIntegerField(_("history (windows)"))
    threshold = models.PositiveIntegerField(_("threshold"), null=True, blank=True)
    growth_factor = models.DecimalField(_("growth factor"), max_digits=5, decimal_places=2, null=True, blank=True)
    over_threshold = models.BooleanField(_("reached the threshold"), default=False)
    over_history = models.BooleanField(_("rose faster than its history"), default=False)
    raised_at = models.DateTimeField(_("raised at"))
    updated_at = models.DateTimeField(_("updated at"))
    notified_at = models.DateTimeField(_("quality manager notified at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    route = models.CharField(_("routed to"), max_length=16, choices=Route.choices, blank=True, default=Route.NONE)
    note = models.TextField(_("note"), blank=True)
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
        ordering = ["-period_start", "-count", "id"]
        verbose_name = _("early warning")
        verbose_name_plural = _("early warnings")
        constraints = [
            models.UniqueConstraint(
                fields=["product_model", "problem_code", "window", "period_start"], name="earlywarning_once_per_window"
            ),
            models.CheckConstraint(
                condition=models.Q(status="open", acknowledged_at__isnull=True, route="")
                | models.Q(status="acknowledged", acknowledged_at__isnull=False) & ~models.Q(route=""),
                name="earlywarning_acknowledged_is_routed",
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gt=models.F("period_start")), name="earlywarning_period_order"
            ),
        ]
        indexes = [
            # The beat job's look for warnings nobody was told of yet.
            models.Index(fields=["raised_at"], name="earlywarning_unnotified", condition=models.Q(notified_at=None)),
            # The warnings page: open ones first, newest first.
            models.Index(fields=["status", "-period_start"], name="earlywarning_status_period"),
        ]

    def __str__(self):
        return f"{self.product_model_id} {self.problem_code} {self.window} {self.period_start}"

    @property
    def ratio(self) -> float | None:
        """The count as a multiple of its history's average (None without history)."""
        if not self.baseline:
            return None
        return round(float(self.count) / float(self.baseline), 1)


class EarlyWarningEvent(Event):
    warning = models.ForeignKey(
        EarlyWarning, verbose_name=_("early warning"), on_delete=models.PROTECT, related_name="events"
    )

    class Meta(Event.Meta):
        verbose_name = _("early-warning event")
        verbose_name_plural = _("early-warning events")
        indexes = [models.Index(fields=["warning", "at"], name="ewevent_warning_at")]

    def __str__(self):
        return f"{self.warning_id} {self.kind}"
