"""Business calendars: working windows per weekday, statutory holidays and make-up days, admin overrides."""

from datetime import time

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.models import validate_time_zone


class BusinessCalendar(models.Model):
    class Statutory(models.TextChoices):
        NONE = "", _("none")
        CN = "CN", _("China (statutory holidays and make-up working days)")

    name = models.CharField(_("name"), max_length=100, unique=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone])
    always_open = models.BooleanField(_("7×24"), default=False, help_text=_("Every minute counts, holidays included."))
    statutory_holidays = models.CharField(
        _("statutory holidays"), max_length=8, choices=Statutory.choices, blank=True, default=Statutory.NONE
    )
    makeup_weekday = models.PositiveSmallIntegerField(
        _("make-up days work like"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(7)],
        help_text=_("A make-up working day (调休) uses the windows of this weekday (1 = Monday)."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self):
        return self.name


class CalendarWindow(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="windows"
    )
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), validators=[MinValueValidator(1), MaxValueValidator(7)], help_text=_("ISO: 1 Monday … 7 Sunday.")
    )
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"), help_text=_("00:00 means midnight at the end of the day (24:00)."))

    class Meta:
        ordering = ["calendar", "weekday", "start"]
        verbose_name = _("working window")
        verbose_name_plural = _("working windows")
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__gte=1, weekday__lte=7), name="window_weekday_iso"),
            # A window may end at midnight (00:00 = 24:00): a night shift is 22:00–00:00 plus 00:00–06:00.
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")) | models.Q(end=time(0, 0)),
                name="window_end_after_start",
            ),
            models.UniqueConstraint(fields=["calendar", "weekday", "start"], name="window_unique_start"),
        ]

    def __str__(self):
        return f"{self.weekday} {self.start:%H:%M}–{self.end:%H:%M}"


class CalendarDate(models.Model):
    """A date an admin adds or overrides: a day off, or a working day (for years the library lacks, or
    company-specific days)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("day off")
        WORKDAY = "workday", _("working day")

    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="dates"
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        ordering = ["calendar", "date"]
        verbose_name = _("calendar date")
        verbose_name_plural = _("calendar dates")
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="calendardate_unique")]

    def __str__(self):
        return f"{self.date} {self.kind}"
