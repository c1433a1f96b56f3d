import django_filters

from warranty.models import Unit


class UnitFilter(django_filters.FilterSet):
    model = django_filters.CharFilter(field_name="product_model__code", lookup_expr="iexact")
    product_line = django_filters.CharFilter(field_name="product_model__product_line__code", lookup_expr="iexact")
    dealer = django_filters.CharFilter(field_name="selling_dealer__code", lookup_expr="iexact")
    customer = django_filters.NumberFilter(field_name="customer_id")
    registered_late = django_filters.BooleanFilter()
    invoice_after = django_filters.DateFilter(field_name="invoice_date", lookup_expr="gte")
    invoice_before = django_filters.DateFilter(field_name="invoice_date", lookup_expr="lte")

    class Meta:
        model = Unit
        fields = ["model", "product_line", "dealer", "customer", "registered_late"]
