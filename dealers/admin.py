from django.contrib import admin

from dealers.models import Dealer, DealerMember


class DealerMemberInline(admin.TabularInline):
    model = DealerMember
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Dealer)
class DealerAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "region",
        "province",
        "city",
        "labour_rate",
        "rating_tier",
        "is_active",
        "suspended",
    )
    list_filter = ("is_active", "suspended", "rating_tier", "region", "province")
    search_fields = ("code", "name")
    inlines = [DealerMemberInline]
