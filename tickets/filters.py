import django_filters
from django.db.models import Exists, OuterRef

from tickets.dashboards.drilldown import FigureFilter
from tickets.models import Ticket, Timer


class TicketFilter(django_filters.FilterSet):
    """Every filter narrows the rows of one query: no DISTINCT (it would sort every matching case before a
    page could be cut), conditions on timers as EXISTS probes of a case's own timers."""

    # Several statuses as one IN, which the partial indexes of open cases match.
    status = django_filters.MultipleChoiceFilter(choices=Ticket.Status.choices, method="filter_status")
    severity = django_filters.CharFilter(field_name="severity__code")
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
    province = django_filters.CharFilter(field_name="site__province")
    sla_policy = django_filters.CharFilter(field_name="sla_policy__code")
    figure = FigureFilter(label="The cases behind a dashboard figure (tickets.dashboards.drilldown)")

    class Meta:
        model = Ticket
        fields = ["status", "severity", "engineer", "outlet", "customer", "unit", "channel"]

    def filter_status(self, queryset, name, value):
        return queryset.filter(status__in=value) if value else queryset

    def filter_sla_state(self, queryset, name, value):
        return queryset.filter(Exists(Timer.objects.filter(ticket=OuterRef("pk"), state=value)))

    def filter_due_before(self, queryset, name, value):
        return queryset.filter(
            Exists(Timer.objects.filter(ticket=OuterRef("pk"), state=Timer.State.RUNNING, due_at__lt=value))
        )
