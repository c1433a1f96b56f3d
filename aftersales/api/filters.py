"""The API's filter backend: django-filter, with every filter's form field bounded like serializer input
(:mod:`aftersales.api.validation`), so a value the database cannot take is a 400, never a 500."""

from __future__ import annotations

from django import forms
from django_filters.rest_framework import DjangoFilterBackend

from aftersales.api import validation


def bound_form_field(field: forms.Field, model_field=None) -> None:
    """Dates and times within 1900–2200 (times with a sane UTC offset); numbers within their column."""
    if isinstance(field, forms.DateTimeField | forms.DateField):
        for validator in (validation.DateInRange(), validation.OffsetInRange()):
            if validator not in field.validators:
                field.validators.append(validator)
    elif isinstance(field, forms.DecimalField | forms.IntegerField):
        integer_column = model_field is not None and model_field.get_internal_type().endswith(
            ("IntegerField", "AutoField", "ForeignKey")
        )
        if integer_column or isinstance(field, forms.IntegerField):
            low, high = validation.integer_range(model_field if integer_column else None)
            validator = validation.IntegerInRange(low, high)
            if validator not in field.validators:
                field.validators.append(validator)
    elif isinstance(field, forms.MultiValueField):
        for sub in field.fields:
            bound_form_field(sub, model_field)


def _named(params, names) -> bool:
    """Whether the query string names any of the filters (``name``, or ``name_<suffix>`` for the filters
    whose form field takes several values)."""
    return any(key in names or any(key.startswith(f"{name}_") for name in names) for key in params)


class FilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        # A request that names no filter (a list's first page, a cursor page) is the queryset as it is:
        # building the filter set and its form for nothing cost a list page more than its own rows.
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or not _named(request.query_params, filterset_class.base_filters):
            return queryset
        return super().filter_queryset(request, queryset, view)

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            model = filterset._meta.model or queryset.model
            for filter_ in filterset.filters.values():
                bound_form_field(filter_.field, validation.model_field_for(model, filter_.field_name))
        return filterset
