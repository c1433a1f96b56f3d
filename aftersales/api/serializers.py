from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from aftersales.models import User, UserEvent


class StrictSerializer(serializers.Serializer):
    """Input serializer that refuses fields it does not know instead of silently dropping them."""

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
    username = serializers.CharField()
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
