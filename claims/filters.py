"""List filters of claims, returns and statements (API and pages alike)."""

import django_filters
from django.db.models import Exists, OuterRef, Q

from aftersales.api.validation import DateInRange
from claims.models import Claim, ClaimLine, ReturnBatch, SettlementStatement
from claims.services.checks import CHECK_CODES
from dealers.models import Dealer
from warranty.selectors import normalize_serial

CHECK_CHOICES = [("passed", "passed"), ("failed", "failed")] + [(code, code) for code in CHECK_CODES]


class ClaimFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Claim.Status.choices)
    dealer = django_filters.CharFilter(field_name="dealer__code", lookup_expr="iexact")
    type = django_filters.CharFilter(field_name="claim_type__code", lookup_expr="iexact")
    unit = django_filters.CharFilter(method="filter_unit", label="Serial / VIN")
    ticket = django_filters.NumberFilter(field_name="ticket_id")
    check = django_filters.ChoiceFilter(
        choices=CHECK_CHOICES, method="filter_check", label="Automatic checks: passed, failed, or a failed check"
    )
    spot_check = django_filters.BooleanFilter()
    review_due_before = django_filters.IsoDateTimeFilter(field_name="review_due_at", lookup_expr="lt")
    # The dashboards' drill-down (claims.dashboards): the claims a figure counts.
    submitted_from = django_filters.DateFilter(
        method="filter_submitted", label="First submitted on or after (date)", validators=[DateInRange()]
    )
    submitted_to = django_filters.DateFilter(
        method="filter_submitted", label="First submitted on or before (date)", validators=[DateInRange()]
    )
    model = django_filters.CharFilter(field_name="unit__product_model__code", lookup_expr="iexact")
    product_line = django_filters.CharFilter(field_name="unit__product_model__product_line__code", lookup_expr="iexact")
    province = django_filters.CharFilter(field_name="dealer__province", lookup_expr="iexact")
    reason = django_filters.CharFilter(method="filter_reason", label="A line reduced or rejected with this reason")
    parts_not_returned = django_filters.DateFilter(
        method="filter_parts_not_returned",
        label="A required old part not received by its due day, as of this date",
        validators=[DateInRange()],
    )

    class Meta:
        model = Claim
        fields = ["status", "dealer", "type", "unit", "ticket", "check", "spot_check"]

    def filter_submitted(self, queryset, name, value):
        from claims.dashboards import filter_submitted

        if name == "submitted_from":
            return filter_submitted(queryset, value, None)
        return filter_submitted(queryset, None, value)

    def filter_reason(self, queryset, name, value):
        lines = ClaimLine.objects.filter(claim=OuterRef("pk"), reason__code__iexact=value)
        return queryset.filter(Exists(lines))

    def filter_parts_not_returned(self, queryset, name, value):
        from claims.dashboards import not_returned_q

        return queryset.filter(Exists(ClaimLine.objects.filter(not_returned_q(value), claim=OuterRef("pk"))))

    def filter_unit(self, queryset, name, value):
        return queryset.filter(unit__serial=normalize_serial(value))

    def filter_check(self, queryset, name, value):
        if value == "passed":
            return queryset.filter(failed_checks=[])
        if value == "failed":
            return queryset.exclude(failed_checks=[])
        return queryset.filter(failed_checks__contains=[value])


class ReturnFilter(django_filters.FilterSet):
    dealer = django_filters.CharFilter(field_name="dealer__code", lookup_expr="iexact")
    received = django_filters.BooleanFilter(field_name="received_at", lookup_expr="isnull", exclude=True)
    tracking_number = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = ReturnBatch
        fields = ["dealer", "received", "tracking_number"]


class StatementFilter(django_filters.FilterSet):
    dealer = django_filters.CharFilter(field_name="dealer__code", lookup_expr="iexact")
    status = django_filters.ChoiceFilter(choices=SettlementStatement.Status.choices)

    class Meta:
        model = SettlementStatement
        fields = ["dealer", "status"]


class DealerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Code or name")
    region = django_filters.CharFilter(lookup_expr="iexact")
    province = django_filters.CharFilter(lookup_expr="iexact")
    city = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Dealer
        fields = ["q", "region", "province", "city", "rating_tier", "is_active", "suspended"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))
