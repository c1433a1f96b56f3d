"""Admin: the configuration of claims (types, reason codes, labour operations with flat rates, programmes
with their required documents) is edited here. Claims, returns, statements and accounts are shown read-only:
they change only through the services (the portal, the review pages and the API)."""

from django.contrib import admin

from claims.models import (
    AccountEntry,
    Claim,
    ClaimLine,
    ClaimProgramme,
    ClaimType,
    DealerAccount,
    FlatRate,
    LabourOperation,
    ReasonCode,
    RequiredDocument,
    ReturnBatch,
    SettlementStatement,
)


@admin.register(ClaimType)
class ClaimTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "remedies", "position", "is_active")
    list_editable = ("position", "is_active")


@admin.register(ReasonCode)
class ReasonCodeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "position", "is_active")
    list_editable = ("position", "is_active")


class FlatRateInline(admin.TabularInline):
    model = FlatRate
    extra = 1
    autocomplete_fields = ["product_model"]


@admin.register(LabourOperation)
class LabourOperationAdmin(admin.ModelAdmin):
    list_display = ("code", "description", "is_active")
    search_fields = ("code", "description")
    inlines = [FlatRateInline]


class RequiredDocumentInline(admin.TabularInline):
    model = RequiredDocument
    extra = 1


@admin.register(ClaimProgramme)
class ClaimProgrammeAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "product_line",
        "submission_days",
        "review_days",
        "return_days",
        "spot_check_percent",
        "is_active",
    )
    inlines = [RequiredDocumentInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ClaimLineInline(admin.TabularInline):
    model = ClaimLine
    extra = 0
    fields = ("position", "kind", "description", "claimed_amount", "decision", "approved_amount", "reason")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ("number", "dealer", "unit", "claim_type", "status", "claimed_total", "approved_total")
    list_filter = ("status", "claim_type", "spot_check")
    search_fields = ("number", "unit__serial", "dealer__code")
    list_select_related = ("dealer", "unit", "claim_type")
    inlines = [ClaimLineInline]


@admin.register(ReturnBatch)
class ReturnBatchAdmin(ReadOnlyAdmin):
    list_display = ("number", "dealer", "carrier", "tracking_number", "shipped_at", "received_at")
    search_fields = ("number", "tracking_number")


@admin.register(SettlementStatement)
class SettlementStatementAdmin(ReadOnlyAdmin):
    list_display = ("number", "dealer", "period_end", "status", "line_count", "total", "issued_at")
    list_filter = ("status",)


class AccountEntryInline(admin.TabularInline):
    model = AccountEntry
    extra = 0
    fields = ("at", "kind", "amount", "balance_after", "statement", "description")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DealerAccount)
class DealerAccountAdmin(ReadOnlyAdmin):
    list_display = ("dealer", "balance", "updated_at")
    inlines = [AccountEntryInline]
