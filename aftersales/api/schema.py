"""drf-spectacular extensions so the schema describes what the API really sends."""

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerFieldExtension

HOUR_MINUTE = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
CLOCK_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"


class TimeFieldExtension(OpenApiSerializerFieldExtension):
    """A time of day as DRF writes it ("08:30" or "08:30:00"), not JSON Schema's ``format: time``, which is
    RFC 3339's full-time and demands a UTC offset that a wall-clock time does not have."""

    target_class = "rest_framework.fields.TimeField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        formats = [field.format] if direction == "response" else list(getattr(field, "input_formats", None) or [])
        if formats and all(value == "%H:%M" for value in formats):
            return {"type": "string", "pattern": HOUR_MINUTE, "example": "08:30"}
        return {"type": "string", "pattern": CLOCK_TIME, "example": "08:30:00"}


class AutoSchema(openapi.AutoSchema):
    """Marks an output field nullable when it reads through a nullable model field (``assigned_engineer``
    shown by username, ``replaces.serial`` …): DRF writes null there, whatever the field's own flags say."""

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        if direction == "response" and not meta.get("nullable") and reads_through_null(field):
            meta["nullable"] = True
        return meta


def reads_through_null(field) -> bool:
    parent = getattr(field, "parent", None)
    model = getattr(getattr(parent, "Meta", None), "model", None)
    source_attrs = getattr(field, "source_attrs", None)
    if model is None or not source_attrs:
        return False
    for name in source_attrs:
        try:
            model_field = model._meta.get_field(name)
        except (FieldDoesNotExist, AttributeError):
            return False
        if getattr(model_field, "null", False):
            return True
        model = model_field.related_model
        if model is None:
            return False
    return False
