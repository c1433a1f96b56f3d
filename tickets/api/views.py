from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from aftersales.errors import ApplicationError
from aftersales.roles import Role
from tickets import sla
from tickets.api import serializers
from tickets.models import BusinessCalendar, SLAPolicy
from tickets.services.calendars import calendar_save


class IsAdminRole(permissions.BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.has_role(Role.ADMIN))


class CalendarViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Business calendars (admins): working windows, statutory holidays, and dates added or overridden."""

    serializer_class = serializers.CalendarSerializer
    permission_classes = [IsAdminRole]
    queryset = BusinessCalendar.objects.prefetch_related("windows", "dates").order_by("name")

    @extend_schema(request=serializers.CalendarWriteSerializer, responses={201: serializers.CalendarSerializer})
    def create(self, request, *args, **kwargs):
        data = serializers.CalendarWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        calendar = calendar_save(**data.validated_data)
        return Response(
            serializers.CalendarSerializer(self.get_queryset().get(pk=calendar.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=serializers.CalendarWriteSerializer, responses=serializers.CalendarSerializer)
    def update(self, request, *args, **kwargs):
        calendar = self.get_object()
        data = serializers.CalendarWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        calendar_save(calendar=calendar, **data.validated_data)
        return Response(serializers.CalendarSerializer(self.get_queryset().get(pk=calendar.pk)).data)

    def partial_update(self, request, *args, **kwargs):
        raise ApplicationError("method_not_allowed", "Send the whole calendar with PUT.", status=405)


class SLAPolicyViewSet(viewsets.ReadOnlyModelViewSet):
    """SLA policies and their versions (admins edit them in the Django admin)."""

    serializer_class = serializers.SLAPolicySerializer
    permission_classes = [IsAdminRole]
    queryset = (
        SLAPolicy.objects.select_related("calendar")
        .prefetch_related("severities", "targets__severity", "targets__metric", "distance_bands", "zones")
        .order_by("code", "-version")
    )


class SLAPreviewView(APIView):
    """The deadlines a new case would get: what sales staff quote to a customer."""

    @extend_schema(request=serializers.PreviewRequestSerializer, responses=serializers.PreviewSerializer)
    def post(self, request):
        data = serializers.PreviewRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        on = timezone.localdate(values["start"])
        try:
            policy = sla.policy_with_details(values.get("policy"), on=on)
        except SLAPolicy.DoesNotExist:
            raise ApplicationError(
                "unknown_policy", "Unknown SLA policy.", details={"policy": ["Not found."]}, status=400
            ) from None
        targets = sla.targets_for(
            policy,
            severity=values["severity"],
            start=values["start"],
            distance_km=values.get("distance_km"),
            province=values.get("province", ""),
        )
        body = {
            "policy": str(policy),
            "targets": [{"metric": t.metric, "minutes": t.minutes, "due_at": t.due_at} for t in targets],
        }
        return Response(serializers.PreviewSerializer(body).data)
