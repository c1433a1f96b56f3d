"""China's statutory holiday schedules (国务院办公厅关于…部分节假日安排的通知) entered by admins.

The `chinesecalendar` library carries the published years; an admin enters a year the installed release does
not know yet (the notice comes out each November or December). An admin's schedule wins over the library for
its year; see ``warranty.holidays`` for how the two are read together.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class HolidaySchedule(models.Model):
    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    # A year's notice may start its New Year's Day holiday on the last days of December of the year before.
    days_off = ArrayField(models.DateField(), verbose_name=_("days off"), default=list)
    makeup_days = ArrayField(models.DateField(), verbose_name=_("make-up working days"), default=list, blank=True)
    source = models.CharField(
        _("source"),
        max_length=300,
        blank=True,
        help_text=_("Where the dates come from, e.g. the State Council notice's title and date."),
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("changed at"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-year"]
        verbose_name = _("statutory holiday schedule")
        verbose_name_plural = _("statutory holiday schedules")
        constraints = [
            models.CheckConstraint(condition=models.Q(year__gte=2000, year__lte=2100), name="holiday_year_range"),
            # A day is off or a make-up working day, never both (checked by the service with a message first).
            models.CheckConstraint(
                condition=~models.Q(days_off__overlap=models.F("makeup_days")), name="holiday_day_not_both"
            ),
        ]

    def __str__(self):
        return str(self.year)
