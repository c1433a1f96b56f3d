"""Serializer fields that resolve ids and codes from a request body within what the requester may see.

Another dealer's customer, site, unit or outlet is looked up in a queryset that does not contain it, so the
answer is DRF's own "does not exist" — word for word what an unknown id gets. The serializer must be given
the request in its context; without it the field refuses to resolve anything.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from rest_framework import serializers

from aftersales.api.validation import MAX_ID  # ids are bigint columns: anything beyond is refused as input
from aftersales.scoping import scope_for


class ScopedRelatedMixin:
    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        if request is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs the request in the serializer context")
        return scope_for(request.user, queryset)


class ScopedPrimaryKeyRelatedField(ScopedRelatedMixin, serializers.PrimaryKeyRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("pk_field", serializers.IntegerField(min_value=1, max_value=MAX_ID))
        super().__init__(**kwargs)


class ScopedSlugRelatedField(ScopedRelatedMixin, serializers.SlugRelatedField):
    pass
