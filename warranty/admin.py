"""Admins configure warranty terms here; statutory minimums are enforced with messages naming the minimum."""

from django import forms
from django.contrib import admin
from django.utils import timezone

from aftersales.dates import business_date
from warranty import engine
from warranty.models import (
    Component,
    Contact,
    Customer,
    PartPrice,
    PolicyComponentTerm,
    PolicyVersion,
    ProductLine,
    ProductModel,
    RepairRecord,
    ServiceContract,
    Site,
    Unit,
    UnitImport,
    UnitImportError,
    WarrantyPolicy,
)
from warranty.services.policies import version_fields_from_preset

MODEL_FIELDS = {"whole_unit_months", "whole_unit_usage", "sanbao_months", "sanbao_usage", "start_event"}


def terms_from_fields(regime: str, fields: dict, components: tuple) -> engine.Terms:
    return engine.Terms(
        regime=regime,
        start_event=fields.get("start_event") or "invoice",
        whole_unit_months=fields.get("whole_unit_months") or 0,
        whole_unit_usage=fields.get("whole_unit_usage"),
        sanbao_months=fields.get("sanbao_months"),
        sanbao_usage=fields.get("sanbao_usage"),
        params=fields.get("params") or {},
        options=fields.get("options") or {},
        exclusions=tuple(fields.get("exclusions") or ()),
        components=components,
    )


class ComponentTermFormSet(forms.BaseInlineFormSet):
    """Component periods are checked against the statutory minimums together with the version's own numbers."""

    def clean(self):
        super().clean()
        version = self.instance
        if any(self.errors) or not getattr(version, "policy_id", None):
            return
        components = tuple(
            engine.ComponentTerm(
                code=form.cleaned_data["code"],
                kind=form.cleaned_data["kind"],
                months=form.cleaned_data.get("months"),
                usage_limit=form.cleaned_data.get("usage_limit"),
                system=form.cleaned_data.get("system") or "",
            )
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        )
        terms = terms_from_fields(version.policy.regime, vars(version), components)
        try:
            problems = engine.validate_terms(terms)
        except engine.EngineError as error:
            problems = {error.field: str(error)}
        messages = [message for key, message in problems.items() if key.startswith("components.")]
        if messages:
            raise forms.ValidationError(messages)


class PolicyComponentTermInline(admin.TabularInline):
    model = PolicyComponentTerm
    formset = ComponentTermFormSet
    extra = 0


class PolicyVersionForm(forms.ModelForm):
    class Meta:
        model = PolicyVersion
        fields = [
            "policy",
            "version",
            "effective_from",
            "effective_to",
            "start_event",
            "whole_unit_months",
            "whole_unit_usage",
            "sanbao_months",
            "sanbao_usage",
            "params",
            "options",
            "exclusions",
            "parts_pricing",
            "labour_rate",
            "labour_cap",
            "refuse_sanbao_if_registered_late",
        ]

    def clean(self):
        cleaned = super().clean()
        policy = cleaned.get("policy")
        if policy is None or self.errors:
            return cleaned
        try:
            problems = engine.validate_terms(terms_from_fields(policy.regime, cleaned, ()))
        except engine.EngineError as error:
            problems = {error.field or "params": str(error)}
        for key, message in problems.items():
            if key.startswith("components."):
                continue  # checked with the component rows, by ComponentTermFormSet
            name = key if key in MODEL_FIELDS else ("options" if key in engine.presets.OPTION_DEFAULTS else "params")
            self.add_error(name if name in self.fields else None, message)
        return cleaned


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    form = PolicyVersionForm
    list_display = ("policy", "version", "effective_from", "effective_to", "start_event", "whole_unit_months")
    list_filter = ("policy__regime",)
    search_fields = ("policy__code", "policy__name")
    inlines = [PolicyComponentTermInline]

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        preset = request.GET.get("preset")
        if preset in engine.PRESETS:
            initial.update(version_fields_from_preset(preset))
        return initial

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_at = timezone.now()
        super().save_model(request, obj, form, change)


class PolicyVersionInline(admin.TabularInline):
    model = PolicyVersion
    fields = ("version", "effective_from", "effective_to", "start_event", "whole_unit_months", "whole_unit_usage")
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WarrantyPolicy)
class WarrantyPolicyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "regime")
    list_filter = ("regime",)
    search_fields = ("code", "name")
    inlines = [PolicyVersionInline]


@admin.register(ServiceContract)
class ServiceContractAdmin(admin.ModelAdmin):
    list_display = ("number", "customer", "policy", "starts_on", "ends_on", "service_level")
    search_fields = ("number", "customer__name")
    autocomplete_fields = ["customer", "units"]
    list_select_related = ("customer", "policy")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_at = timezone.now()
        super().save_model(request, obj, form, change)


class ComponentInline(admin.TabularInline):
    model = Component
    extra = 0


@admin.register(ProductLine)
class ProductLineAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(ProductModel)
class ProductModelAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "product_line", "usage_unit", "policy")
    list_filter = ("product_line",)
    search_fields = ("code", "name")
    inlines = [ComponentInline]


@admin.register(PartPrice)
class PartPriceAdmin(admin.ModelAdmin):
    list_display = ("part_number", "name", "price", "cost", "valid_from")
    search_fields = ("part_number", "name")
    date_hierarchy = "valid_from"


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


class SiteInline(admin.StackedInline):
    model = Site
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "phone", "email")
    search_fields = ("name", "phone")
    list_filter = ("kind",)
    inlines = [ContactInline, SiteInline]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_at = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("serial", "product_model", "customer", "selling_dealer", "invoice_date", "registered_late")
    list_filter = ("registered_late", "product_model__product_line")
    search_fields = ("serial", "customer__name", "customer__phone")
    autocomplete_fields = ["customer", "replaces"]
    raw_id_fields = ["site"]
    readonly_fields = ("registered_at", "registered_by", "registered_late", "version")
    list_select_related = ("product_model", "customer", "selling_dealer")

    def save_model(self, request, obj, form, change):
        from warranty.services.units import is_registered_late

        if not change:
            obj.registered_at = timezone.now()
            obj.registered_by = request.user
        else:
            obj.version += 1
        obj.serial = "".join(obj.serial.split()).upper()
        obj.registered_late = is_registered_late(
            invoice_date=obj.invoice_date, registered_on=business_date(obj.registered_at)
        )
        super().save_model(request, obj, form, change)


@admin.register(RepairRecord)
class RepairRecordAdmin(admin.ModelAdmin):
    list_display = ("unit", "confirmed_at", "completed_at", "problem_code", "quality_problem", "source")
    list_filter = ("source", "quality_problem", "serious_safety")
    search_fields = ("unit__serial", "problem_code")
    raw_id_fields = ["unit"]
    readonly_fields = ("created_at",)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_at = timezone.now()
        super().save_model(request, obj, form, change)


class UnitImportErrorInline(admin.TabularInline):
    model = UnitImportError
    extra = 0
    can_delete = False
    readonly_fields = ("row", "field", "code", "message")


@admin.register(UnitImport)
class UnitImportAdmin(admin.ModelAdmin):
    list_display = ("original_name", "status", "processed_rows", "total_rows", "error_count", "created_at")
    readonly_fields = [f.name for f in UnitImport._meta.fields]
    inlines = [UnitImportErrorInline]

    def has_add_permission(self, request):
        return False
