from django.contrib import admin

from dealers.models import Dealer, DealerMember


class DealerMemberInline(admin.TabularInline):
    model = DealerMember
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Dealer)
class DealerAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "province", "city", "is_active")
    list_filter = ("is_active", "province")
    search_fields = ("code", "name")
    inlines = [DealerMemberInline]
