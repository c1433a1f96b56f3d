import django_filters
from django import forms
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Exists, F, OuterRef
from django.utils.translation import gettext_lazy as _

from tickets import search
from tickets.dashboards.drilldown import FigureFilter
from tickets.models import Severity, Ticket, Timer
from tickets.scoping import EqualsAny


class QueueFilterForm(forms.Form):
    """Values that name nothing are reported rather than quietly matching no case (the severities are the
    same for everyone; engineers and outlets are not checked, so that another dealer's answer like none)."""

    def _known(self, name, exists):
        value = self.cleaned_data.get(name)
        if value and not exists(value):
            raise forms.ValidationError(_("Unknown value: %(value)s") % {"value": value}, code="unknown")
        return value

    def clean_severity(self):
        return self._known("severity", lambda code: Severity.objects.filter(code=code).exists())


class TicketFilter(django_filters.FilterSet):
    """Every filter narrows the rows of one query: no DISTINCT (it would sort every matching case before a
    page could be cut), conditions on timers as EXISTS probes of a case's own timers."""

    q = django_filters.CharFilter(
        method="filter_q", label="Case number, serial / VIN prefix, customer or reporter name or phone"
    )
    # Several statuses as one IN, which the partial indexes of open cases match.
    status = django_filters.MultipleChoiceFilter(choices=Ticket.Status.choices, method="filter_status")
    # A code names a severity of every SLA policy and version that has it (each version has rows of its
    # own): the cases of all of them, by their ids on the case's own column.
    severity = django_filters.CharFilter(method="filter_severity")
    engineer = django_filters.CharFilter(field_name="assigned_engineer__username")
    outlet = django_filters.CharFilter(field_name="serving_outlet__code")
    customer = django_filters.NumberFilter(field_name="customer_id")
    unit = django_filters.CharFilter(field_name="unit__serial", lookup_expr="iexact")
    sla_state = django_filters.ChoiceFilter(
        choices=Timer.State.choices, method="filter_sla_state", label="SLA state (any timer)"
    )
    due_before = django_filters.IsoDateTimeFilter(
        method="filter_due_before", label="A running timer is due before this time"
    )
    # The dashboards' dimensions the filters above lack, and the cases behind a dashboard figure.
    product_line = django_filters.CharFilter(field_name="unit__product_model__product_line__code")
    # The province stored on the case (its site's as it was opened), read from the case's own index.
    province = django_filters.CharFilter(field_name="province")
    sla_policy = django_filters.CharFilter(field_name="sla_policy__code")
    figure = FigureFilter(label="The cases behind a dashboard figure (tickets.dashboards.drilldown)")

    class Meta:
        model = Ticket
        fields = ["status", "severity", "engineer", "outlet", "customer", "unit", "channel"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(search.ticket_condition(value)) if search.clean(value) else queryset

    def filter_severity(self, queryset, name, value):
        # ``= ANY(ARRAY(SELECT …))``, the ids read once before the scan: the planner keeps walking the
        # province's index in the list's order (a join to the severity table made it sort every match).
        ids = ArraySubquery(Severity.objects.filter(code=value).order_by().values("id"))
        return queryset.filter(EqualsAny(F("severity_id"), ids))

    def filter_status(self, queryset, name, value):
        return queryset.filter(status__in=value) if value else queryset

    def filter_sla_state(self, queryset, name, value):
        return queryset.filter(Exists(Timer.objects.filter(ticket=OuterRef("pk"), state=value)))

    def filter_due_before(self, queryset, name, value):
        return queryset.filter(
            Exists(Timer.objects.filter(ticket=OuterRef("pk"), state=Timer.State.RUNNING, due_at__lt=value))
        )


class QueueFilter(TicketFilter):
    """The queue page's filters: as the API's, and values that name nothing are reported on the page."""

    LABELS = {
        "q": _("Search"),
        "status": _("Status"),
        "severity": _("Severity"),
        "engineer": _("Engineer (username)"),
        "outlet": _("Outlet code"),
        "customer": _("Customer"),
        "unit": _("Unit"),
        "channel": _("Channel"),
        "sla_state": _("SLA state"),
        "due_before": _("Due before"),
        "product_line": _("Product line"),
        "province": _("Province"),
        "sla_policy": _("SLA policy"),
        "figure": _("Dashboard figure"),
    }

    class Meta(TicketFilter.Meta):
        form = QueueFilterForm

    @property
    def form(self):
        form = super().form
        for name, label in self.LABELS.items():
            if name in form.fields:
                form.fields[name].label = label
        return form


def queue_choices(user) -> dict:
    """What the queue's pickers offer the user: severities (by label), the engineers and outlets they may see."""
    from aftersales.models import User
    from aftersales.roles import Role
    from aftersales.scoping import scope_for
    from dealers.models import Dealer

    severities = {}
    for severity in Severity.objects.order_by("rank", "id"):
        severities.setdefault(severity.code, severity.label)
    engineers = scope_for(user, User.objects.filter(groups__name=Role.ENGINEER, is_active=True)).order_by("username")
    return {
        "statuses": Ticket.Status.choices,
        "severities": list(severities.items()),
        "engineers": [(person.username, person.get_full_name() or person.username) for person in engineers[:500]],
        "outlets": list(scope_for(user, Dealer.objects.all()).order_by("code").values_list("code", "name")[:500]),
    }
