"""``/api/v1/dashboard/…``: the figures the dashboard pages show, with the same filters (query parameters of
the same names), as JSON tables; and the recurring-fault early warnings with their acknowledgement."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import exceptions, mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from aftersales.db_router import use_replica
from dashboards import access
from dashboards.render import compute, filter_form, result_json
from dashboards.sections import section_get
from tickets.dashboards.filters import GROUPS, Granularity
from tickets.dashboards.warnings import warning_behind, warning_scope
from tickets.models import EarlyWarning, Ticket
from tickets.services.early_warning import describe, early_warning_acknowledge, period_label


def roles_only(roles) -> type[permissions.BasePermission]:
    class RolesOnly(permissions.BasePermission):
        message = "Your role does not allow this."

        def has_permission(self, request, view):
            return bool(request.user and request.user.is_authenticated and request.user.has_role(*roles))

    return RolesOnly


FILTER_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="First business day (default: 29 days before end)."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last business day, inclusive (default: today)."),
    OpenApiParameter("by", OpenApiTypes.STR, enum=[value for value, _label in Granularity.CHOICES]),
    OpenApiParameter("severity", OpenApiTypes.STR),
    OpenApiParameter("channel", OpenApiTypes.STR, enum=Ticket.Channel.values),
    OpenApiParameter("province", OpenApiTypes.STR),
    OpenApiParameter("outlet", OpenApiTypes.STR, description="Dealer / outlet code."),
    OpenApiParameter("engineer", OpenApiTypes.STR, description="User name."),
    OpenApiParameter("product_line", OpenApiTypes.STR, description="Product line code."),
    OpenApiParameter("customer", OpenApiTypes.INT),
    OpenApiParameter("sla_policy", OpenApiTypes.STR, description="SLA policy code."),
    OpenApiParameter("risk_hours", OpenApiTypes.INT, description="At risk: due within this many hours (1–168)."),
    OpenApiParameter("group", OpenApiTypes.STR, enum=[value for value, _label in GROUPS]),
]

TABLE = inline_serializer(
    "DashboardTable",
    {
        "key": serializers.CharField(),
        "title": serializers.CharField(),
        "note": serializers.CharField(),
        "columns": serializers.ListField(
            child=inline_serializer(
                "DashboardColumn",
                {"key": serializers.CharField(), "label": serializers.CharField(), "kind": serializers.CharField()},
            )
        ),
        "rows": serializers.ListField(child=serializers.DictField(allow_null=True)),
        "links": serializers.ListField(child=serializers.DictField(child=serializers.CharField())),
    },
)
SECTION = inline_serializer(
    "DashboardSection",
    {
        "section": serializers.CharField(),
        "title": serializers.CharField(),
        "filters": serializers.DictField(allow_null=True),
        "generated_at": serializers.DateTimeField(),
        "tables": serializers.ListField(child=TABLE),
    },
)


class SectionView(APIView):
    """One dashboard section's tables; 404 ``dashboard_section_unavailable`` while the app that fills it is
    not installed."""

    section_key = ""

    @use_replica
    def get(self, request):
        section = section_get(self.section_key)
        if not request.user.has_role(*section.roles):
            raise exceptions.PermissionDenied()
        now = timezone.now()
        form = filter_form(request.query_params, now=now)
        if not form.is_valid():
            raise exceptions.ValidationError(form.errors)
        return Response(result_json(compute(self.section_key, user=request.user, form=form, now=now)))


def section_view(key: str, summary: str) -> type[SectionView]:
    view = type(f"{key.title()}DashboardView", (SectionView,), {"section_key": key, "__doc__": summary})
    view.get = extend_schema(parameters=FILTER_PARAMETERS, responses=SECTION, summary=summary)(view.get)
    return view


SLADashboardView = section_view("sla", "SLA compliance and risk")
QualityDashboardView = section_view("quality", "Service quality")
ClaimsDashboardView = section_view("claims", "Claims and dealers (filled by the dealer-claims app)")
ScorecardDashboardView = section_view("scorecard", "Dealer scorecard (filled by the dealer-claims app)")


class WarningSerializer(serializers.ModelSerializer):
    product_model = serializers.CharField(source="product_model.code")
    text = serializers.SerializerMethodField()
    period = serializers.SerializerMethodField()
    ratio = serializers.FloatField(allow_null=True)
    acknowledged_by = serializers.CharField(source="acknowledged_by.username", allow_null=True, default=None)

    class Meta:
        model = EarlyWarning
        fields = [
            "id",
            "product_model",
            "problem_code",
            "window",
            "period",
            "period_start",
            "period_end",
            "count",
            "baseline",
            "ratio",
            "history_windows",
            "threshold",
            "growth_factor",
            "over_threshold",
            "over_history",
            "text",
            "status",
            "route",
            "note",
            "raised_at",
            "notified_at",
            "acknowledged_at",
            "acknowledged_by",
        ]

    def get_text(self, warning) -> str:
        return describe(warning)

    def get_period(self, warning) -> str:
        return period_label(warning.window, warning.period_start)


class BehindSerializer(serializers.Serializer):
    serial = serializers.CharField()
    confirmed_at = serializers.DateTimeField()
    source = serializers.CharField()
    component = serializers.CharField()
    ticket_id = serializers.IntegerField(allow_null=True)
    ticket_number = serializers.CharField()


class WarningDetailSerializer(WarningSerializer):
    behind = serializers.SerializerMethodField()

    class Meta(WarningSerializer.Meta):
        fields = [*WarningSerializer.Meta.fields, "behind"]

    @extend_schema_field(BehindSerializer(many=True))
    def get_behind(self, warning) -> list[dict]:
        return BehindSerializer(warning_behind(user=self.context["request"].user, warning=warning), many=True).data


class AcknowledgeSerializer(serializers.Serializer):
    route = serializers.ChoiceField(choices=[EarlyWarning.Route.RD.value, EarlyWarning.Route.TRAINING.value])
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class WarningViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Recurring-fault early warnings (the manufacturer's staff; a dealer's people see none). Filters:
    ``status`` (open, acknowledged), ``route`` (rd, training)."""

    permission_classes = [roles_only(access.WARNING_VIEWERS)]
    filter_backends = []
    queryset = EarlyWarning.objects.all()  # narrowed to the viewer's scope in get_queryset

    def get_queryset(self):
        warnings = warning_scope(user=self.request.user).order_by("status", "-period_start", "-count", "id")
        status = self.request.query_params.get("status", "")
        route = self.request.query_params.get("route", "")
        if status in EarlyWarning.Status.values:
            warnings = warnings.filter(status=status)
        if route in (EarlyWarning.Route.RD, EarlyWarning.Route.TRAINING):
            warnings = warnings.filter(route=route)
        return warnings

    def get_serializer_class(self):
        return WarningDetailSerializer if self.action == "retrieve" else WarningSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=EarlyWarning.Status.values),
            OpenApiParameter("route", OpenApiTypes.STR, enum=["rd", "training"]),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=AcknowledgeSerializer, responses=WarningDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=[roles_only(access.WARNING_HANDLERS)])
    def acknowledge(self, request, pk=None):
        """Acknowledge the warning and route it to R&D (technical issue) or training (service issue); once
        (409 ``warning_acknowledged`` the second time)."""
        warning = self.get_object()
        data = AcknowledgeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        warning = early_warning_acknowledge(warning=warning, actor=request.user, **data.validated_data)
        return Response(
            WarningDetailSerializer(self.get_queryset().get(pk=warning.pk), context={"request": request}).data
        )
