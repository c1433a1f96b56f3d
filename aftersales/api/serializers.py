from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import ForeignKey
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from aftersales.api import validation
from aftersales.models import User, UserEvent


def bound_field(field: serializers.Field, model_field=None) -> None:
    """Give an input field the bounds of :mod:`aftersales.api.validation`: integers what their column holds,
    dates and times years 1900–2200. Lists and dicts bound their items."""
    if isinstance(field, serializers.ListField | serializers.DictField):
        bound_field(field.child)
        return
    if isinstance(field, serializers.IntegerField):
        integer_column = (
            model_field is not None
            and model_field.get_internal_type().endswith(("IntegerField", "AutoField"))
            or isinstance(model_field, ForeignKey)
        )
        low, high = validation.integer_range(model_field if integer_column else None)
        if field.max_value is None or field.max_value > high:
            field.max_value = high
            message = field.error_messages["max_value"].format(max_value=high)
            field.validators.append(MaxValueValidator(high, message=message))
        if field.min_value is None or field.min_value < low:
            field.min_value = low
            message = field.error_messages["min_value"].format(min_value=low)
            field.validators.append(MinValueValidator(low, message=message))
    elif (
        isinstance(field, serializers.DateField | serializers.DateTimeField)
        and validation.DateInRange() not in field.validators
    ):
        field.validators.append(validation.DateInRange())


class StrictSerializer(serializers.Serializer):
    """Input serializer that refuses fields it does not know instead of silently dropping them, and bounds
    every integer, date and time it takes (see :func:`bound_field`); ``Meta.model`` names the model whose
    columns the integer fields are stored in, when there is one."""

    def get_fields(self):
        fields = super().get_fields()
        model = getattr(getattr(self, "Meta", None), "model", None)
        for name, field in fields.items():
            source = field.source if field.source and field.source != "*" else name
            bound_field(field, validation.model_field_for(model, source))
        return fields

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        unknown_errors = {name: [_("Unknown field.")] for name in unknown}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if unknown_errors and isinstance(error.detail, dict):
                error.detail.update(serializers.ValidationError(unknown_errors).detail)
            raise
        if unknown_errors:
            raise serializers.ValidationError(unknown_errors, code="unknown_field")
        return value


class ErrorSerializer(serializers.Serializer):
    """Every API error: a stable code, a message in the user's language, and per-field details."""

    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField()


class TokenRequestSerializer(StrictSerializer):
    username = serializers.CharField(max_length=User._meta.get_field("username").max_length)
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("Send as `Authorization: Token <token>`."))


class UserSerializer(serializers.ModelSerializer):
    roles = serializers.ListField(child=serializers.CharField(), read_only=True)
    name = serializers.CharField(source="get_full_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name", "email", "roles", "language", "time_zone"]
        read_only_fields = ["id", "username", "name", "email", "roles"]


class PreferencesSerializer(StrictSerializer):
    language = serializers.ChoiceField(choices=User.Language.choices, required=False)
    time_zone = serializers.CharField(max_length=64, required=False)


class UserEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = UserEvent
        fields = ["id", "kind", "actor", "data", "at"]
