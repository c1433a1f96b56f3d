from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from aftersales.models import OutboxMessage, User, UserEvent


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + ((_("Preferences"), {"fields": ("language", "time_zone")}),)
    list_display = ("username", "email", "first_name", "last_name", "language", "time_zone", "is_active")
    list_filter = BaseUserAdmin.list_filter + ("language",)


@admin.register(UserEvent)
class UserEventAdmin(admin.ModelAdmin):
    list_display = ("at", "user", "kind", "actor")
    list_filter = ("kind",)
    search_fields = ("user__username",)
    list_select_related = ("user", "actor")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Read-only view of queued work: what is still waiting for the broker, and why."""

    list_display = ("created_at", "task", "sent_at", "attempts", "last_error")
    list_filter = (("sent_at", admin.EmptyFieldListFilter), "task")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
