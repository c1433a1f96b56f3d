"""Admins configure warranty terms here; statutory minimums are enforced with messages naming the minimum."""

from dataclasses import dataclass
from datetime import date

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied
from django.forms.formsets import all_valid
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from aftersales.dates import business_date
from warranty import engine, policy_preview
from warranty.engine import schema
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
from warranty.policy_forms import (
    NEW_POLICY_FIELDS,
    PolicyVersionForm,
    initial_from_terms,
    initial_from_version,
    option_field,
    param_field,
    version_form_class,
)
from warranty.services.policies import PolicyVersionInUse, save_policy_version, version_in_use


class ComponentTermFormSet(forms.BaseInlineFormSet):
    """Component periods are checked against the statutory minimums together with the version's own numbers."""

    def clean(self):
        super().clean()
        version = self.instance
        regime = getattr(version, "_regime", None) or (version.policy.regime if version.policy_id else None)
        if any(self.errors) or regime is None:
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
        fields = vars(version)
        terms = engine.Terms(
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
        try:
            problems = engine.validate_terms(terms)
        except engine.EngineError as error:
            problems = {error.field: str(error)}
        messages = [message for key, message in problems.items() if str(key).startswith("components.")]
        if messages:
            raise forms.ValidationError(messages)
        version._components = components


class PolicyComponentTermInline(admin.TabularInline):
    model = PolicyComponentTerm
    formset = ComponentTermFormSet
    extra = 0

    def get_extra(self, request, obj=None, **kwargs):
        if request.method == "GET" and (obj is None or obj.pk is None):
            return len(getattr(request, "_component_initial", ()))
        return 0

    def _frozen(self, obj):
        return obj is not None and obj.pk is not None and version_in_use(obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._frozen(obj)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not self._frozen(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._frozen(obj)


def first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


@dataclass
class VersionContext:
    """What a version page is about: the regime (its fields), a new policy from a preset, or the version a
    new one is copied from."""

    regime: str | None
    new_policy: bool = False
    preset: str = ""
    source: PolicyVersion | None = None
    policy: WarrantyPolicy | None = None


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    form = PolicyVersionForm
    change_form_template = "admin/warranty/policyversion/change_form.html"
    list_display = ("policy", "version", "effective_from", "effective_to", "start_event", "whole_unit_months")
    list_filter = ("policy__regime",)
    search_fields = ("policy__code", "policy__name")
    inlines = [PolicyComponentTermInline]
    actions = ["new_version_action"]

    # -- which form: the regime's schema ------------------------------------------------------------------

    def version_context(self, request, obj=None) -> VersionContext:
        if obj is not None and obj.pk:
            return VersionContext(regime=obj.policy.regime, policy=obj.policy)
        source_id = request.GET.get("from", "")
        if source_id.isascii() and source_id.isdigit() and len(source_id) < 19:
            source = PolicyVersion.objects.select_related("policy").filter(pk=source_id).first()
            if source:
                return VersionContext(regime=source.policy.regime, source=source, policy=source.policy)
        policy_id = request.GET.get("policy", "")
        if policy_id.isascii() and policy_id.isdigit() and len(policy_id) < 19:
            policy = WarrantyPolicy.objects.filter(pk=policy_id).first()
            if policy:
                return VersionContext(regime=policy.regime, policy=policy)
        preset = request.GET.get("preset", "")
        if preset in engine.PRESETS:
            return VersionContext(regime=engine.PRESETS[preset].regime, new_policy=True, preset=preset)
        return VersionContext(regime=None)

    def get_form(self, request, obj=None, change=False, **kwargs):
        context = self.version_context(request, obj)
        initial_params = {}
        if context.preset:
            initial_params = engine.preset(context.preset).params
        elif context.source:
            initial_params = context.source.params
        elif obj is not None and obj.pk:
            initial_params = obj.params
        kwargs["form"] = version_form_class(
            context.regime or "contract", new_policy=context.new_policy, initial_params=initial_params
        )
        return super().get_form(request, obj, change=change, **kwargs)

    def is_frozen(self, obj) -> bool:
        return obj is not None and obj.pk is not None and version_in_use(obj)

    def get_fieldsets(self, request, obj=None):
        context = self.version_context(request, obj)
        definition = schema.SCHEMAS[context.regime or "contract"]
        if self.is_frozen(obj) or (obj is not None and not self.has_change_permission(request, obj)):
            terms = ["terms_table"]
            params: list[str] = []
            options: list[str] = []
        else:
            terms = [entry.key for entry in definition.periods]
            params = [param_field(entry.key) for entry in definition.params]
            options = [option_field(entry.key) for entry in definition.options]
        fieldsets = []
        if context.new_policy:
            fieldsets.append(
                (
                    _("New policy: %(regime)s (preset %(preset)s)")
                    % {"regime": WarrantyPolicy.Regime(context.regime).label, "preset": context.preset},
                    {"fields": list(NEW_POLICY_FIELDS)},
                )
            )
        head = ["version", "effective_from", "effective_to"]
        fieldsets.append((_("Version"), {"fields": ([] if context.new_policy else ["policy"]) + head}))
        fieldsets.append((_("Warranty periods"), {"fields": ["start_event", *terms]}))
        if params:
            fieldsets.append((_("Regime parameters"), {"fields": params}))
        if options:
            fieldsets.append((_("Interpretation options"), {"fields": options}))
        fieldsets.append(
            (
                _("Exclusions and paid service"),
                {
                    "fields": [
                        "exclusions",
                        "parts_pricing",
                        "labour_rate",
                        "labour_cap",
                        "refuse_sanbao_if_registered_late",
                    ]
                },
            )
        )
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if self.is_frozen(obj):
            return ["terms_table"]
        return []

    @admin.display(description=_("periods, parameters and options"))
    def terms_table(self, obj):
        regime = obj.policy.regime
        definition = schema.SCHEMAS[regime]
        values = {**engine.presets.REGIME_PARAMS[regime], **obj.params}
        options = {**engine.presets.OPTION_DEFAULTS, **obj.options}
        rows = [(entry, getattr(obj, entry.key)) for entry in definition.periods]
        rows += [(entry, values.get(entry.key)) for entry in definition.params]
        rows += [(entry, options.get(entry.key)) for entry in definition.options]

        def shown(entry, value):
            if value is None:
                return "—"
            if entry.kind == schema.CHOICE:
                return schema.choice_label(entry.key, value)
            if entry.kind == schema.BOOL:
                return _("yes") if value else _("no")
            return f"{value} {entry.unit}"

        return format_html(
            "<table>{}</table>",
            format_html_join(
                "", "<tr><th>{}</th><td>{}</td></tr>", ((entry.label, shown(entry, value)) for entry, value in rows)
            ),
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self.is_frozen(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self.is_frozen(obj)

    # -- initial values: a preset, or a copy of the version a new one follows -------------------------------

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        context = self.version_context(request)
        if context.preset:
            initial.update(initial_from_terms(engine.preset(context.preset)))
            initial["effective_from"] = business_date()
            request._component_initial = [vars_of(c) for c in engine.preset(context.preset).components]
        elif context.source:
            initial.update(initial_from_version(context.source, effective_from=first_of_next_month(business_date())))
            request._component_initial = [
                {name: getattr(term, name) for name in ("code", "kind", "months", "usage_limit", "system")}
                for term in context.source.component_terms.all()
            ]
        elif context.policy:
            initial["policy"] = context.policy.pk
        return initial

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if request.method == "GET" and getattr(request, "_component_initial", None):
            kwargs["initial"] = request._component_initial
        return kwargs

    def add_view(self, request, form_url="", extra_context=None):
        if self.version_context(request).regime is None:
            # Which regime's fields to show is decided first: a preset (new policy) or an existing policy.
            return redirect("admin:warranty_warrantypolicy_add")
        if request.method == "GET":
            self.get_changeform_initial_data(request)  # the component rows' initial values, for get_extra
        return super().add_view(request, form_url, extra_context)

    # -- writes go through the service ----------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        pass  # stored with its component terms in save_related, by the service

    def save_related(self, request, form, formsets, change):
        components = []
        for formset in formsets:
            # Stored by the service below; the change message reads these lists.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            if formset.model is PolicyComponentTerm:
                components = [
                    {name: f.cleaned_data.get(name) for name in ("code", "kind", "months", "usage_limit", "system")}
                    for f in formset.forms
                    if f.cleaned_data and not f.cleaned_data.get("DELETE")
                ]
        try:
            save_policy_version(
                version=form.instance,
                components=components,
                new_policy=form.new_policy_fields(),
                now=timezone.now(),
            )
        except PolicyVersionInUse:
            raise PermissionDenied from None

    def new_version_action(self, request, queryset):
        version = queryset.order_by("-effective_from").first()
        return redirect(f"{reverse('admin:warranty_policyversion_add')}?from={version.pk}")

    new_version_action.short_description = _("New version from the selected one")

    # -- preview before saving ------------------------------------------------------------------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and "_preview" in request.POST:
            return self.preview_view(request, object_id, form_url, extra_context)
        extra_context = {**(extra_context or {}), "preview_on": business_date()}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def preview_view(self, request, object_id, form_url, extra_context):
        obj = self.get_object(request, unquote(object_id)) if object_id else None
        if object_id and obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        add = obj is None
        if not (self.has_add_permission(request) if add else self.has_view_or_change_permission(request, obj)):
            raise PermissionDenied
        fieldsets = self.get_fieldsets(request, obj)
        form_class = self.get_form(request, obj, change=not add, fields=flatten_fieldsets(fieldsets))
        form = form_class(request.POST, request.FILES, instance=obj if obj else self.model())
        form_validated = form.is_valid()
        draft = self.save_form(request, form, change=not add) if form_validated else form.instance
        formsets, inline_instances = self._create_formsets(request, draft, change=not add)
        rows, preview_error = [], ""
        on = business_date()
        try:
            on = date.fromisoformat(request.POST.get("preview_on", "")) if request.POST.get("preview_on") else on
        except ValueError:
            preview_error = _("The preview date must be a date (YYYY-MM-DD).")
        if form_validated and all_valid(formsets) and not preview_error:
            if draft.policy_id is None:
                draft.policy = WarrantyPolicy(regime=form.regime, **(form.new_policy_fields() or {}))
            components = getattr(draft, "_components", ())
            terms = form.terms(form.cleaned_data, components)
            rows, preview_error = policy_preview.preview(
                draft,
                terms,
                on=on,
                serial=request.POST.get("preview_serial", "").strip(),
                component=request.POST.get("preview_component", "").strip(),
            )
        admin_form = helpers.AdminForm(
            form, list(fieldsets), {}, self.get_readonly_fields(request, obj), model_admin=self
        )
        media = self.media + admin_form.media
        inline_formsets = self.get_inline_formsets(request, formsets, inline_instances, obj)
        for inline_formset in inline_formsets:
            media += inline_formset.media
        title = _("Add %s") if add else _("Change %s")
        context = {
            **self.admin_site.each_context(request),
            "title": title % self.opts.verbose_name,
            "subtitle": str(obj) if obj else None,
            "adminform": admin_form,
            "object_id": object_id,
            "original": obj,
            "is_popup": False,
            "to_field": None,
            "media": media,
            "inline_admin_formsets": inline_formsets,
            "errors": helpers.AdminErrorList(form, formsets),
            "preserved_filters": self.get_preserved_filters(request),
            "preview": {"rows": rows, "error": preview_error, "done": form_validated and not preview_error},
            "preview_on": on,
            "preview_serial": request.POST.get("preview_serial", ""),
            "preview_component": request.POST.get("preview_component", ""),
            **(extra_context or {}),
        }
        return self.render_change_form(request, context, add=add, change=not add, obj=obj, form_url=form_url)


def vars_of(component: engine.ComponentTerm) -> dict:
    return {name: getattr(component, name) for name in ("code", "kind", "months", "usage_limit", "system")}


class PolicyVersionInline(admin.TabularInline):
    model = PolicyVersion
    fields = (
        "version",
        "effective_from",
        "effective_to",
        "start_event",
        "whole_unit_months",
        "components",
        "used",
        "next",
    )
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("component terms"))
    def components(self, obj):
        return ", ".join(
            f"{term.code} ({term.months if term.months is not None else '—'})" for term in obj.component_terms.all()
        )

    @admin.display(description=_("used by cases (read-only)"), boolean=True)
    def used(self, obj):
        return version_in_use(obj)

    @admin.display(description=_("new version"))
    def next(self, obj):
        if obj.effective_to is not None:
            return ""
        return format_html(
            '<a href="{}?from={}">{}</a>', reverse("admin:warranty_policyversion_add"), obj.pk, _("New version")
        )


@admin.register(WarrantyPolicy)
class WarrantyPolicyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "regime")
    list_filter = ("regime",)
    search_fields = ("code", "name")
    inlines = [PolicyVersionInline]

    def get_readonly_fields(self, request, obj=None):
        # The versions' fields follow the regime: it is chosen once, with the preset.
        return ["regime"] if obj is not None else []

    def add_view(self, request, form_url="", extra_context=None):
        """A new policy starts from a preset: the policy and its first version on one page."""
        preset = request.GET.get("preset", "")
        if preset in engine.PRESETS:
            return redirect(f"{reverse('admin:warranty_policyversion_add')}?preset={preset}")
        presets = [
            {
                "name": name,
                "regime": WarrantyPolicy.Regime(terms.regime).label,
                "label": PRESET_LABELS.get(name, name),
            }
            for name, terms in engine.PRESETS.items()
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("New warranty policy: choose a preset"),
            "opts": self.opts,
            "presets": presets,
            "add_url": reverse("admin:warranty_policyversion_add"),
        }
        return TemplateResponse(request, "admin/warranty/warrantypolicy/choose_preset.html", context)


PRESET_LABELS = {
    "car_2021": _("household cars, 2021 rules"),
    "car_2013": _("household cars, 2013 rules"),
    "catalogue_goods": _("catalogue goods (e.g. colour TV)"),
    "mobile_phone": _("mobile phones"),
    "microcomputer": _("microcomputers"),
    "contract": _("B2B contract warranty"),
}


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
