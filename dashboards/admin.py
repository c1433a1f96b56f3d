"""Admins configure the early-warning thresholds here; the warnings themselves are read-only (they are
raised by the beat job and acknowledged on the warning's page)."""

from django.contrib import admin

from tickets.models import EarlyWarning, EarlyWarningRule


@admin.register(EarlyWarningRule)
class EarlyWarningRuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "window",
        "product_model",
        "problem_code",
        "threshold",
        "growth_factor",
        "history_windows",
        "min_count",
        "is_active",
    ]
    list_filter = ["window", "is_active"]
    autocomplete_fields = []
    raw_id_fields = ["product_model"]


@admin.register(EarlyWarning)
class EarlyWarningAdmin(admin.ModelAdmin):
    list_display = ["period_start", "window", "product_model", "problem_code", "count", "baseline", "status", "route"]
    list_filter = ["status", "route", "window"]
    search_fields = ["problem_code", "product_model__code"]
    raw_id_fields = ["product_model", "rule", "acknowledged_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
