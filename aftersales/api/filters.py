"""The API's filter backend: django-filter, with every filter's form field bounded like serializer input
(:mod:`aftersales.api.validation`), so a value the database cannot take is a 400, never a 500."""

from __future__ import annotations

import copy

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


# The filter sets narrowed to the filters a request names, by (filter set, names): at most this many kept
# (the names come from query strings; past the bound a narrowed set is built for the request alone).
NARROWED_KEPT = 256
_narrowed: dict[tuple[type, tuple[str, ...]], type] = {}


def narrowed(filterset_class, params, model):
    """``filterset_class`` with only the filters ``params`` names, their form fields bounded
    (``bound_form_field``) and their form class built once: a filter the query string does not name takes no
    value, so it filters nothing and reports nothing — building, copying and validating all of them cost a
    filtered list more than its rows. The named filters are validated as before, with the same messages."""
    base = filterset_class.base_filters
    names = tuple(name for name in base if _named(params, (name,)))
    key = (filterset_class, names)
    found = _narrowed.get(key)
    if found is not None:
        return found
    filters = {}
    for name in names:
        filter_ = copy.deepcopy(base[name])
        bound_form_field(filter_.field, validation.model_field_for(model, filter_.field_name))
        filters[name] = filter_
    form_class = type(
        f"{filterset_class.__name__}Form",
        (filterset_class._meta.form,),
        {name: filter_.field for name, filter_ in filters.items()},
    )
    found = type(filterset_class.__name__, (filterset_class,), {"get_form_class": lambda self: form_class})
    found.base_filters = filters
    if len(_narrowed) < NARROWED_KEPT:
        _narrowed[key] = found
    return found


class FilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        # A request that names no filter (a list's first page, a cursor page) is the queryset as it is:
        # building the filter set and its form for nothing cost a list page more than its own rows.
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or not _named(request.query_params, filterset_class.base_filters):
            return queryset
        return super().filter_queryset(request, queryset, view)

    def get_filterset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return None
        model = filterset_class._meta.model or queryset.model
        filterset_class = narrowed(filterset_class, request.query_params, model)
        return filterset_class(**self.get_filterset_kwargs(request, queryset, view))
