from datetime import date

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from aftersales.api.validation import whole_number
from aftersales.errors import ApplicationError
from aftersales.roles import Role
from tickets import sla
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
    Ticket,
    Timer,
    Visit,
    VisitPlan,
)
from tickets.services.sla_policies import PAUSABLE_STATUSES, clean_pause_statuses, sla_policy_save


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
        for index in range(whole_number(total, maximum=1000) or 0):
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


class SeverityForm(forms.ModelForm):
    """A rank from 1 (the most severe), said in those words."""

    def clean_rank(self):
        rank = self.cleaned_data.get("rank")
        if rank is not None and rank < 1:
            raise forms.ValidationError(
                _("The rank is %(value)s; allowed: 1 (the most severe) or more.") % {"value": rank}
            )
        return rank


class SeverityInline(admin.TabularInline):
    model = Severity
    form = SeverityForm
    extra = 0


class MinutesForm(forms.ModelForm):
    """A target of at least one business minute, said in those words (not as the database constraint's name)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["minutes"]
        field.min_value = 1
        field.widget.attrs["min"] = 1
        field.validators = [v for v in field.validators if not isinstance(v, MinValueValidator)]
        field.validators.append(
            MinValueValidator(1, message=_("A target is %(show_value)s minutes; allowed: 1 minute or more."))
        )


class TargetInline(admin.TabularInline):
    model = SLATarget
    form = MinutesForm
    extra = 0


class DistanceBandInline(admin.TabularInline):
    model = DistanceBand
    form = MinutesForm
    extra = 0


class RegionZoneInline(admin.TabularInline):
    model = RegionZone
    form = MinutesForm
    extra = 0


class PauseGridWidget(forms.Widget):
    """A checkbox per metric (row) and pausable ticket status (column)."""

    def __init__(self, metrics=(), statuses=(), attrs=None):
        super().__init__(attrs)
        self.metrics = list(metrics)
        self.statuses = list(statuses)

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name, [])

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(value or ())
        head = format_html_join("", "<th scope='col'>{}</th>", ((label,) for _code, label in self.statuses))
        rows = []
        for metric in self.metrics:
            cells = format_html_join(
                "",
                '<td><input type="checkbox" name="{}" value="{}" id="{}"{} aria-label="{} × {}"></td>',
                (
                    (
                        name,
                        f"{metric.code}:{status}",
                        f"id_{name}_{metric.code}_{status}",
                        mark_safe(" checked") if f"{metric.code}:{status}" in chosen else "",
                        metric.name,
                        label,
                    )
                    for status, label in self.statuses
                ),
            )
            rows.append(format_html("<tr><th scope='row'>{}</th>{}</tr>", metric.name, cells))
        return format_html(
            '<table class="pause-grid" id="id_{}"><thead><tr><th>{}</th>{}</tr></thead><tbody>{}</tbody></table>',
            name,
            _("metric"),
            head,
            mark_safe("".join(rows)),
        )


class SLAPolicyForm(forms.ModelForm):
    """Pausing statuses as a grid (metric × ticket status) instead of JSON: only known metrics and the
    statuses the pause ledger records can be chosen."""

    pause_grid = forms.MultipleChoiceField(
        label=capfirst(_("pausing statuses")),
        required=False,
        help_text=_("Tick a status to stop a metric's clock while a case is in it."),
    )

    class Meta:
        model = SLAPolicy
        fields = [
            "code",
            "version",
            "name",
            "effective_from",
            "effective_to",
            "is_default",
            "calendar",
            "onsite_rule",
            "followup_days",
            "followup_threshold",
            "complaint_days",
            "customers",
            "contracts",
            "product_lines",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        metrics = list(SLAMetric.objects.order_by("id"))
        statuses = [(status, Ticket.Status(status).label) for status in PAUSABLE_STATUSES]
        field = self.fields["pause_grid"]
        field.choices = [(f"{m.code}:{s}", f"{m.name} × {label}") for m in metrics for s, label in statuses]
        field.widget = PauseGridWidget(metrics, statuses)
        field.error_messages["invalid_choice"] = _(
            "%(value)s is not a metric and pausing status. Allowed: the boxes of the grid."
        )
        if not self.is_bound:
            stored = self.instance.pause_statuses or {}
            self.initial["pause_grid"] = [f"{code}:{status}" for code, chosen in stored.items() for status in chosen]

    def clean(self):
        cleaned = super().clean()
        chosen: dict[str, list[str]] = {}
        for item in cleaned.get("pause_grid") or ():
            code, status = item.split(":", 1)
            chosen.setdefault(code, []).append(status)
        self.instance.pause_statuses = clean_pause_statuses(chosen, SLAMetric.objects.values_list("code", flat=True))
        start, end = cleaned.get("effective_from"), cleaned.get("effective_to")
        if start is not None and end is not None and end <= start:
            self.add_error(
                "effective_to",
                _("The end %(end)s is not after the start; allowed: a day after %(start)s, or empty.")
                % {"end": end.isoformat(), "start": start.isoformat()},
            )
        if cleaned.get("is_default") and end is None:
            other = SLAPolicy.objects.filter(is_default=True, effective_to=None).exclude(pk=self.instance.pk).first()
            if other is not None:
                self.add_error(
                    "is_default",
                    _(
                        "%(policy)s is the current default policy already; allowed: one current default. Give "
                        "this one an end date, or end %(policy)s first."
                    )
                    % {"policy": str(other)},
                )
        return cleaned

    def _get_validation_exclusions(self):
        # The one-default constraint is said in clean() in words (its database name means nothing to an admin).
        return {*super()._get_validation_exclusions(), "is_default"}


class EscalationStepForm(forms.ModelForm):
    """A step fires at a share of the target or after a delay (one of them); whom it tells needs its role
    or user. Every message names what is wrong and the allowed values."""

    role = forms.ChoiceField(label=_("role"), required=False)

    class Meta:
        model = EscalationStep
        fields = [
            "policy",
            "metric",
            "order",
            "share_percent",
            "delay_minutes",
            "recipient",
            "role",
            "user",
            "raise_severity",
            "reassign_to",
            "open_loaner",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "—"), *Role.choices]
        self.fields["share_percent"].widget.attrs.update(min=1, max=1000)
        self.fields["share_percent"].help_text = _(
            "75 = three quarters of the target used; 150 = half the target past the deadline. Allowed: 1 to 1000."
        )
        self.fields["delay_minutes"].widget.attrs.update(min=1)

    def clean(self):
        cleaned = super().clean()
        share, delay = cleaned.get("share_percent"), cleaned.get("delay_minutes")
        if (share is None) == (delay is None):
            self.add_error(
                "share_percent",
                _("Give either a share of the target (1 to 1000 %) or a delay in minutes (1 or more), not both."),
            )
        if share is not None and not 1 <= share <= 1000:
            self.add_error("share_percent", _("The share is %(value)s %%; allowed: 1 to 1000 %%.") % {"value": share})
        if delay is not None and delay < 1:
            self.add_error("delay_minutes", _("The delay is %(value)s minutes; allowed: 1 or more.") % {"value": delay})
        recipient = cleaned.get("recipient")
        if recipient == EscalationStep.Recipient.ROLE and not cleaned.get("role"):
            self.add_error("role", _("Choose the role to tell (one of the product's roles)."))
        if recipient == EscalationStep.Recipient.USER and not cleaned.get("user"):
            self.add_error("user", _("Choose the user to tell."))
        if recipient != EscalationStep.Recipient.ROLE:
            cleaned["role"] = ""
        return cleaned


class EscalationStepInline(admin.TabularInline):
    model = EscalationStep
    form = EscalationStepForm
    extra = 0
    fields = (
        "metric",
        "order",
        "share_percent",
        "delay_minutes",
        "recipient",
        "role",
        "user",
        "raise_severity",
        "reassign_to",
        "open_loaner",
    )
    raw_id_fields = ("user", "reassign_to")


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    form = SLAPolicyForm
    list_display = ("code", "version", "name", "effective_from", "effective_to", "is_default", "calendar")
    list_filter = ("is_default",)
    filter_horizontal = ("customers", "contracts", "product_lines")
    inlines = [SeverityInline, TargetInline, DistanceBandInline, RegionZoneInline, EscalationStepInline]
    readonly_fields = ("deadline_preview",)

    @admin.display(description=_("deadlines of a case opened now"))
    def deadline_preview(self, obj):
        """The deadline preview (the same computation as POST /api/v1/sla/preview/), per severity."""
        if obj is None or obj.pk is None:
            return "—"
        now = timezone.now()
        rows = []
        for severity in obj.severities.all():
            try:
                targets = sla.targets_for(obj, severity=severity.code, start=now)
            except ApplicationError as error:
                return str(error)
            names = {metric.code: metric.name for metric in SLAMetric.objects.all()}
            rows.append(
                format_html(
                    "<tr><th>{}</th><td>{}</td></tr>",
                    severity.name,
                    format_html_join(
                        "; ",
                        "{}: {}",
                        (
                            (names.get(t.metric, t.metric), timezone.localtime(t.due_at).strftime("%Y-%m-%d %H:%M"))
                            for t in targets
                        ),
                    ),
                )
            )
        return format_html('<table id="sla-deadline-preview">{}</table>', mark_safe("".join(rows)))

    def save_model(self, request, obj, form, change):
        pass  # stored with its rows in save_related, by the service

    def save_related(self, request, form, formsets, change):
        """The policy, its inline rows and its many-to-many choices in one call of the service (one write
        path): it stores them in one transaction and recomputes the open cases' deadlines once."""
        rows, deleted = [], []
        for formset in formsets:
            rows += formset.save(commit=False)  # sets new/changed/deleted_objects for the change message
            deleted += formset.deleted_objects
        m2m = {
            name: form.cleaned_data[name]
            for name in ("customers", "contracts", "product_lines")
            if name in form.cleaned_data
        }
        sla_policy_save(form.instance, rows=rows, deleted=deleted, m2m=m2m, now=timezone.now())


@admin.register(EscalationStep)
class EscalationStepAdmin(admin.ModelAdmin):
    form = EscalationStepForm
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
