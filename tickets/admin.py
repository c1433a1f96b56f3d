from datetime import date

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.calendar_check import calendar_problems
from tickets.models import (
    BusinessCalendar,
    CalendarDate,
    CalendarWindow,
    DistanceBand,
    EscalationStep,
    RegionZone,
    Severity,
    SLAMetric,
    SLAPolicy,
    SLATarget,
    Timer,
    Visit,
    VisitPlan,
)


class CalendarWindowFormSet(forms.BaseInlineFormSet):
    """Checks the whole calendar being saved (its fields, these windows and the dates posted beside them)
    with the check the API and data migrations use, so the admin cannot store a calendar the deadlines
    cannot be computed on."""

    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return
        windows = [
            (form.cleaned_data["weekday"], form.cleaned_data["start"], form.cleaned_data["end"])
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        holidays, workdays = self._posted_dates()
        calendar = self.instance
        problems = calendar_problems(
            timezone=calendar.timezone,
            always_open=calendar.always_open,
            windows=windows,
            holidays=holidays,
            workdays=workdays,
            makeup_weekday=calendar.makeup_weekday,
        )
        if problems:
            raise ValidationError([problem.message for problem in problems])

    def _posted_dates(self) -> tuple[list[date], list[date]]:
        # The dates inline is a sibling formset; read its posted rows (prefix "dates") for the make-up check.
        holidays, workdays = [], []
        total = self.data.get("dates-TOTAL_FORMS", "0")
        for index in range(int(total) if str(total).isdigit() else 0):
            row = f"dates-{index}-"
            if self.data.get(row + "DELETE") or not self.data.get(row + "date"):
                continue
            try:
                day = date.fromisoformat(self.data[row + "date"])
            except ValueError:
                continue  # the dates inline reports its own bad input
            (workdays if self.data.get(row + "kind") == "workday" else holidays).append(day)
        return holidays, workdays


class CalendarWindowInline(admin.TabularInline):
    model = CalendarWindow
    formset = CalendarWindowFormSet
    extra = 0


class CalendarDateInline(admin.TabularInline):
    model = CalendarDate
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "timezone", "always_open", "statutory_holidays")
    inlines = [CalendarWindowInline, CalendarDateInline]


class SLAProblemFilter(admin.SimpleListFilter):
    title = _("SLA problem")
    parameter_name = "sla_problem"

    def lookups(self, request, model_admin):
        return [("yes", _("yes")), ("no", _("no"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(sla_error="")
        if self.value() == "no":
            return queryset.filter(sla_error="")
        return queryset


@admin.register(Timer)
class TimerAdmin(admin.ModelAdmin):
    """Read-only: timers change through the case's services. Admins find here the cases the sweep could not
    work on (broken calendar, a refused step action) by the "SLA problem" filter."""

    list_display = ("ticket", "metric", "state", "due_at", "next_action_at", "sla_error_at", "sla_error")
    list_filter = (SLAProblemFilter, "state", "metric")
    search_fields = ("ticket__number",)
    list_select_related = ("ticket", "metric")
    readonly_fields = [field.name for field in Timer._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SLAMetric)
class SLAMetricAdmin(admin.ModelAdmin):
    list_display = ("code", "name")


class SeverityInline(admin.TabularInline):
    model = Severity
    extra = 0


class TargetInline(admin.TabularInline):
    model = SLATarget
    extra = 0


class DistanceBandInline(admin.TabularInline):
    model = DistanceBand
    extra = 0


class RegionZoneInline(admin.TabularInline):
    model = RegionZone
    extra = 0


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = ("code", "version", "name", "effective_from", "effective_to", "is_default", "calendar")
    list_filter = ("is_default",)
    filter_horizontal = ("customers", "contracts", "product_lines")
    inlines = [SeverityInline, TargetInline, DistanceBandInline, RegionZoneInline]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_at = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(EscalationStep)
class EscalationStepAdmin(admin.ModelAdmin):
    list_display = ("policy", "metric", "order", "share_percent", "delay_minutes", "recipient", "role", "user")
    list_filter = ("policy", "recipient")


@admin.register(VisitPlan)
class VisitPlanAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "phone_per_year", "onsite_per_year", "first_within_months")


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ("contract", "slot", "kind", "due_on", "outlet", "assigned_to", "status")
    list_filter = ("status", "kind")
    date_hierarchy = "due_on"
    raw_id_fields = ("contract", "ticket")
