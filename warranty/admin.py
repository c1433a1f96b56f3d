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

from aftersales.api.validation import whole_number
from aftersales.dates import business_date
from aftersales.errors import ApplicationError
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


class SaveRefused(Exception):
    """The service refused the save after the forms were valid (another admin's version meanwhile): the
    page is shown again with the posted values and the service's message on the form."""

    def __init__(self, error: ApplicationError):
        super().__init__(error.code)
        self.error = error


def components_of(formsets) -> list[dict]:
    components = []
    for formset in formsets:
        # Stored by the service; the change message reads these lists.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is PolicyComponentTerm:
            components = [
                {name: f.cleaned_data.get(name) for name in ("code", "kind", "months", "usage_limit", "system")}
                for f in formset.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]
    return components


def store_version(form, formsets) -> PolicyVersion:
    """A version form and its component-term formset, stored by the service (one write path)."""
    try:
        return save_policy_version(
            version=form.instance,
            components=components_of(formsets),
            new_policy=form.new_policy_fields(),
            now=timezone.now(),
        )
    except PolicyVersionInUse:
        raise PermissionDenied from None
    except ApplicationError as error:
        raise SaveRefused(error) from None


def with_refusal(form_class, request):
    """The form class, carrying the service's refusal of the previous attempt (shown as a field error)."""
    refused = getattr(request, "_save_refused", None)
    if refused is None:
        return form_class
    return type(form_class.__name__, (form_class,), {"refused": refused, "__module__": form_class.__module__})


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
        if whole_number(source_id):
            source = PolicyVersion.objects.select_related("policy").filter(pk=source_id).first()
            if source:
                return VersionContext(regime=source.policy.regime, source=source, policy=source.policy)
        policy_id = request.GET.get("policy", "")
        if whole_number(policy_id):
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
        kwargs["form"] = with_refusal(
            version_form_class(
                context.regime or "contract", new_policy=context.new_policy, initial_params=initial_params
            ),
            request,
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
        store_version(form, formsets)

    def new_version_action(self, request, queryset):
        version = queryset.order_by("-effective_from").first()
        return redirect(f"{reverse('admin:warranty_policyversion_add')}?from={version.pk}")

    new_version_action.short_description = _("New version from the selected one")

    # -- preview before saving ------------------------------------------------------------------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and "_preview" in request.POST:
            return self.preview_view(request, object_id, form_url, extra_context)
        extra_context = {**(extra_context or {}), "preview_on": business_date()}
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except SaveRefused as refused:
            # Nothing was stored (the transaction rolled back): the page again, the message on the form.
            request._save_refused = refused.error
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
        edit = format_html(
            '<a class="version-edit" href="?version={}">{}</a>',
            obj.pk,
            _("show here") if version_in_use(obj) else _("edit here"),
        )
        if obj.effective_to is not None:
            return edit
        return format_html(
            '{} · <a href="{}?from={}">{}</a>',
            edit,
            reverse("admin:warranty_policyversion_add"),
            obj.pk,
            _("New version"),
        )


@dataclass
class VersionEditor:
    """The version edited on the policy's page (``?version=`` picks it; by default the newest version no case
    used yet, else the newest): its form and component-term formset, or read-only once cases used it."""

    version: PolicyVersion | None
    versions: list
    frozen: bool = True
    form: forms.ModelForm | None = None
    formsets: list | None = None
    adminform: helpers.AdminForm | None = None
    inline_formsets: list | None = None
    terms_table: str = ""
    media: forms.Media | None = None

    def is_valid(self) -> bool:
        if self.form is None:
            return True
        form_valid = self.form.is_valid()  # first: the component rows are checked against the version's numbers
        return form_valid and all_valid(self.formsets)


@admin.register(WarrantyPolicy)
class WarrantyPolicyAdmin(admin.ModelAdmin):
    """The one place of a policy: its fields, every version with its component terms, and the chosen
    version's terms and component terms, saved together through the service in one transaction."""

    list_display = ("code", "name", "regime")
    list_filter = ("regime",)
    search_fields = ("code", "name")
    inlines = [PolicyVersionInline]
    change_form_template = "admin/warranty/warrantypolicy/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        # The versions' fields follow the regime: it is chosen once, with the preset.
        return ["regime"] if obj is not None else []

    # -- the chosen version on the policy's page ------------------------------------------------------------

    def version_editor(self, request, policy: WarrantyPolicy) -> VersionEditor:
        versions = list(policy.versions.order_by("-effective_from").prefetch_related("component_terms"))
        chosen = None
        wanted = request.GET.get("version", "")
        if wanted_id := whole_number(wanted):
            chosen = next((v for v in versions if v.pk == wanted_id), None)
        if chosen is None:
            chosen = next((v for v in versions if not version_in_use(v)), versions[0] if versions else None)
        if chosen is None:
            return VersionEditor(version=None, versions=versions)
        version_admin = self.admin_site._registry[PolicyVersion]
        editor = VersionEditor(version=chosen, versions=versions, frozen=version_in_use(chosen))
        if editor.frozen or not version_admin.has_change_permission(request, chosen):
            editor.frozen = True
            editor.terms_table = version_admin.terms_table(chosen)
            return editor
        fieldsets = [
            (name, {**options, "fields": [f for f in options["fields"] if f != "policy"]})
            for name, options in version_admin.get_fieldsets(request, chosen)
        ]
        form_class = version_admin.get_form(request, chosen, change=True, fields=flatten_fieldsets(fieldsets))
        bound = request.method == "POST"
        editor.form = form_class(request.POST if bound else None, request.FILES if bound else None, instance=chosen)
        editor.formsets, inline_instances = version_admin._create_formsets(request, chosen, change=True)
        editor.adminform = helpers.AdminForm(editor.form, fieldsets, {}, [], model_admin=version_admin)
        editor.inline_formsets = version_admin.get_inline_formsets(request, editor.formsets, inline_instances, chosen)
        editor.media = editor.adminform.media
        for inline_formset in editor.inline_formsets:
            editor.media += inline_formset.media
        return editor

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        policy = self.get_object(request, unquote(object_id)) if object_id else None
        if policy is None:
            return super().changeform_view(request, object_id, form_url, extra_context)
        request._version_editor = self.version_editor(request, policy)
        extra_context = {**(extra_context or {}), "version_editor": request._version_editor}
        extra_context["preview_on"] = business_date()
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except SaveRefused as refused:
            # Nothing was stored (the transaction rolled back): the page again, the message on the version.
            request._save_refused = refused.error
            request._version_editor = self.version_editor(request, policy)
            extra_context["version_editor"] = request._version_editor
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        editor = getattr(request, "_version_editor", None)
        if editor is None or editor.form is None:
            return form_class

        class PolicyForm(form_class):
            def clean(self):
                cleaned = super().clean()
                if not editor.is_valid():
                    raise forms.ValidationError(
                        _("Version %(version)s was not saved: correct the errors shown on it below.")
                        % {"version": editor.version.version}
                    )
                return cleaned

        return PolicyForm

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        editor = context.get("version_editor")
        if editor is not None and editor.media is not None:
            context["media"] = context["media"] + editor.media
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        editor = getattr(request, "_version_editor", None)
        if editor is not None and editor.form is not None:
            store_version(editor.form, editor.formsets)

    def response_change(self, request, obj):
        response = super().response_change(request, obj)
        editor = getattr(request, "_version_editor", None)
        if "_continue" in request.POST and editor is not None and editor.version is not None:
            response["Location"] = f"{request.path}?version={editor.version.pk}"
        return response

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
