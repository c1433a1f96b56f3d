from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from aftersales.api.serializers import StrictSerializer
from tickets.models import BusinessCalendar, DistanceBand, RegionZone, Severity, SLAPolicy, SLATarget


class WindowSerializer(StrictSerializer):
    weekday = serializers.IntegerField(min_value=1, max_value=7, help_text=_("ISO weekday, 1 = Monday."))
    start = serializers.TimeField(format="%H:%M", input_formats=["%H:%M"])
    end = serializers.TimeField(format="%H:%M", input_formats=["%H:%M"])


class CalendarWriteSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    timezone = serializers.CharField(max_length=64, default="Asia/Shanghai")
    always_open = serializers.BooleanField(default=False)
    windows = WindowSerializer(many=True, default=list)
    statutory_holidays = serializers.ChoiceField(choices=["CN"], allow_null=True, default=None)
    holidays = serializers.ListField(child=serializers.DateField(), default=list)
    workdays = serializers.ListField(child=serializers.DateField(), default=list)
    makeup_weekday = serializers.IntegerField(min_value=1, max_value=7, default=1)

    def validate(self, attrs):
        attrs["windows"] = [(w["weekday"], w["start"], w["end"]) for w in attrs["windows"]]
        return attrs


class CalendarSerializer(serializers.ModelSerializer):
    windows = WindowSerializer(many=True)
    holidays = serializers.SerializerMethodField()
    workdays = serializers.SerializerMethodField()
    statutory_holidays = serializers.SerializerMethodField()

    class Meta:
        model = BusinessCalendar
        fields = [
            "id",
            "name",
            "timezone",
            "always_open",
            "windows",
            "statutory_holidays",
            "holidays",
            "workdays",
            "makeup_weekday",
        ]

    def get_holidays(self, calendar) -> list[str]:
        return [d.date.isoformat() for d in calendar.dates.all() if d.kind == "holiday"]

    def get_workdays(self, calendar) -> list[str]:
        return [d.date.isoformat() for d in calendar.dates.all() if d.kind == "workday"]

    def get_statutory_holidays(self, calendar) -> str | None:
        return calendar.statutory_holidays or None


class SeveritySerializer(serializers.ModelSerializer):
    class Meta:
        model = Severity
        fields = ["code", "name", "rank", "definition"]


class TargetSerializer(serializers.ModelSerializer):
    severity = serializers.SlugRelatedField(slug_field="code", read_only=True)
    metric = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = SLATarget
        fields = ["severity", "metric", "minutes"]


class DistanceBandSerializer(serializers.ModelSerializer):
    class Meta:
        model = DistanceBand
        fields = ["max_km", "minutes"]


class ZoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = RegionZone
        fields = ["name", "provinces", "minutes"]


class SLAPolicySerializer(serializers.ModelSerializer):
    calendar = serializers.SlugRelatedField(slug_field="name", read_only=True)
    severities = SeveritySerializer(many=True)
    targets = TargetSerializer(many=True)
    distance_bands = DistanceBandSerializer(many=True)
    zones = ZoneSerializer(many=True)

    class Meta:
        model = SLAPolicy
        fields = [
            "id",
            "code",
            "version",
            "name",
            "effective_from",
            "effective_to",
            "is_default",
            "calendar",
            "onsite_rule",
            "pause_statuses",
            "severities",
            "targets",
            "distance_bands",
            "zones",
        ]


class PreviewRequestSerializer(StrictSerializer):
    policy = serializers.IntegerField(required=False, help_text=_("Default: the default policy."))
    severity = serializers.CharField(max_length=32)
    start = serializers.DateTimeField(help_text=_("ISO 8601 with an offset, e.g. 2026-10-01T09:00:00+08:00."))
    distance_km = serializers.IntegerField(min_value=0, required=False)
    province = serializers.CharField(max_length=64, required=False, allow_blank=True)

    def validate_start(self, value):
        raw = self.initial_data.get("start", "")
        if isinstance(raw, str) and not (raw.endswith("Z") or "+" in raw[10:] or "-" in raw[10:]):
            raise serializers.ValidationError(_("Give the time with its offset, e.g. +08:00."), code="naive_time")
        return value


class PreviewTargetSerializer(serializers.Serializer):
    metric = serializers.CharField()
    minutes = serializers.IntegerField()
    due_at = serializers.DateTimeField()


class PreviewSerializer(serializers.Serializer):
    policy = serializers.CharField()
    targets = PreviewTargetSerializer(many=True)
