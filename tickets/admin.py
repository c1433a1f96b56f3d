from django.contrib import admin
from django.utils import timezone

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
    Visit,
    VisitPlan,
)


class CalendarWindowInline(admin.TabularInline):
    model = CalendarWindow
    extra = 0


class CalendarDateInline(admin.TabularInline):
    model = CalendarDate
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "timezone", "always_open", "statutory_holidays")
    inlines = [CalendarWindowInline, CalendarDateInline]


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
