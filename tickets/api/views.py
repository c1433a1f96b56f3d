import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from aftersales.api.pagination import PageNumberPagination
from aftersales.api.permissions import roles_may_write
from aftersales.api.renderers import FastJSONRenderer
from aftersales.dates import business_date
from aftersales.errors import ApplicationError
from aftersales.roles import Role
from dealers.selectors import own_dealer
from tickets import sla
from tickets.api import serializers
from tickets.filters import TicketFilter
from tickets.models import BusinessCalendar, FollowUp, RepairOrder, SLAPolicy, Ticket
from tickets.permissions import EVERY_ACTION, case_actions, may_act, may_create_case
from tickets.roles import CASE_WRITERS
from tickets.selectors import ticket_get, ticket_scope, with_related
from tickets.services import billing
from tickets.services import followups as followup_services
from tickets.services import tickets as ticket_services
from tickets.services import work as work_services
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
        on = business_date(values["start"])
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


# Transitions with no input beyond the version and a note; "assign" takes an engineer.
SIMPLE_ACTIONS = (
    "contact",
    "start_remote",
    "check_in",
    "check_out",
    "wait_customer",
    "wait_parts",
    "resume",
    "confirm",
    "close",
    "reopen",
    "cancel",
)


class TicketPagination(CursorPagination):
    """The case list pages by its index order (newest reported first) with an opaque cursor: any page is an
    index range, with no OFFSET to skip and no COUNT over every case."""

    ordering = ("-reported_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Repair cases. Each state change is a POST action (``/tickets/{id}/resolve/`` …); 409 lists what is
    possible instead; ``version`` guards against concurrent changes (412)."""

    serializer_class = serializers.TicketSerializer
    filterset_class = TicketFilter
    pagination_class = TicketPagination
    permission_classes = [roles_may_write(*CASE_WRITERS)]
    queryset = Ticket.objects.none()  # for the schema generator; requests use get_queryset()

    def get_queryset(self):
        tickets = ticket_scope(user=self.request.user)
        if self.action != "list":  # the list reads plain rows (list below)
            tickets = with_related(tickets)
        return tickets.order_by("-reported_at", "-id")

    def get_serializer_class(self):
        return serializers.TicketListSerializer if self.action == "list" else super().get_serializer_class()

    def get_renderers(self):
        # The list's pages are the API's largest responses: the same JSON, encoded by orjson.
        renderers = super().get_renderers()
        if self.action == "list":
            renderers = [FastJSONRenderer() if type(r) is JSONRenderer else r for r in renderers]
        return renderers

    def list(self, request, *args, **kwargs):
        """A cursor page of cases read in one statement as plain columns and subqueries (``.values()``), written
        out by the list serializer (TicketListRowsSerializer): no model instance per case, its long columns
        left in the table."""
        tickets = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(tickets.values(*serializers.LIST_COLUMNS, **serializers.list_relations()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def get_object(self):
        """The case named in the URL, among those the user may see (404 otherwise); a change also needs the
        user's role to allow this action on this case (tickets.permissions, 403 otherwise)."""
        ticket = ticket_get(user=self.request.user, pk=self.kwargs["pk"])
        if self.request.method not in permissions.SAFE_METHODS:
            check_case_action(self.request.user, ticket, self.action)
        return ticket

    @extend_schema(request=serializers.TicketCreateSerializer, responses={201: serializers.TicketSerializer})
    def create(self, request, *args, **kwargs):
        if not may_create_case(request.user):
            raise ApplicationError(CASE_ACTION_FORBIDDEN, _("Your role does not allow opening cases."), status=403)
        data = serializers.TicketCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        # A dealer's case is served by its own outlet unless it names one (it may name only its own).
        values["serving_outlet"] = values.get("serving_outlet") or own_dealer(request.user)
        ticket = ticket_services.ticket_create(actor=request.user, **values)
        # The new case as written (its relations and timers are in hand): no second read of it.
        return Response(
            serializers.TicketCreatedSerializer(ticket, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    def _transition(self, request, action_name: str, input_serializer, **extra):
        ticket = self.get_object()
        data = input_serializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        ticket_services.ticket_transition(
            ticket=ticket,
            action=action_name,
            actor=request.user,
            expected_version=values.pop("version"),
            **values,
            **extra,
        )
        return Response(case_data(request, ticket))

    @extend_schema(request=serializers.AssignSerializer, responses=serializers.TicketSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        return self._transition(request, "assign", serializers.AssignSerializer)

    @extend_schema(request=serializers.ResolveSerializer, responses=serializers.TicketSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """The resolve transition with the engineer's repair report (the unit's repair record)."""
        return self._transition(request, "resolve", serializers.ResolveSerializer)

    @extend_schema(request=serializers.SeverityChangeSerializer, responses=serializers.TicketSerializer)
    @action(detail=True, methods=["post"])
    def severity(self, request, pk=None):
        ticket = self.get_object()
        data = serializers.SeverityChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket_services.ticket_change_severity(
            ticket=ticket,
            severity=data.validated_data["severity"],
            actor=request.user,
            expected_version=data.validated_data["version"],
        )
        return Response(case_data(request, ticket))

    @extend_schema(responses=serializers.TicketEventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=PageNumberPagination)
    def events(self, request, pk=None):
        ticket = self.get_object()
        page = self.paginate_queryset(ticket.events.select_related("actor").order_by("at", "id"))
        return self.get_paginated_response(serializers.TicketEventSerializer(page, many=True).data)


CASE_ACTION_FORBIDDEN = "case_action_forbidden"


def check_case_action(user, ticket, action: str) -> None:
    """403 unless the user's roles allow ``action`` on this case (an engineer: only on his own cases)."""
    if action in EVERY_ACTION and not may_act(user, ticket, action):
        raise ApplicationError(
            CASE_ACTION_FORBIDDEN,
            _("Your role does not allow this action on this case."),
            details={"allowed": sorted(case_actions(user, ticket))},
            status=403,
        )


def case_data(request, ticket) -> dict:
    """The case as the API shows it to this user (its allowed actions are the user's own)."""
    return serializers.TicketSerializer(ticket_get(user=request.user, pk=ticket.pk), context={"request": request}).data


def service_input(validated: dict) -> dict:
    """Input values as the service takes them: the version the client read is ``expected_version``."""
    values = dict(validated)
    if "version" in values:
        values["expected_version"] = values.pop("version")
    return values


def _sub_resource(name: str, url_path: str, output, create_input, service, *, multipart: bool = False):
    """GET lists a case's entries of one kind; POST adds one through ``service``."""

    def handler(self, request, pk=None):
        ticket = self.get_object()
        if request.method == "POST":
            data = create_input(data=request.data, context={"request": request})
            data.is_valid(raise_exception=True)
            created = service(ticket=ticket, actor=request.user, **service_input(data.validated_data))
            return Response(output(created, context={"request": request}).data, status=status.HTTP_201_CREATED)
        entries = getattr(ticket, name).all()
        return Response(output(entries, many=True, context={"request": request}).data)

    handler.__name__ = url_path.replace("-", "_")
    handler.__doc__ = f"The case's {url_path.replace('-', ' ')}: list, or add one."
    request_schema = {"multipart/form-data": create_input} if multipart else create_input
    # The GET answers a plain list (no pagination): say so, so the schema does not promise a page.
    extra = {"pagination_class": None}
    if multipart:
        extra["parser_classes"] = [MultiPartParser, FormParser]
    # extend_schema after action: action() replaces the function's kwargs, where the schema is kept.
    handler = action(detail=True, methods=["get", "post"], url_path=url_path, **extra)(handler)
    handler = extend_schema(methods=["get"], responses=output(many=True))(handler)
    return extend_schema(methods=["post"], request=request_schema, responses={201: output})(handler)


TicketViewSet.attachments = _sub_resource(
    "attachments",
    "attachments",
    serializers.AttachmentSerializer,
    serializers.AttachmentUploadSerializer,
    work_services.attachment_add,
    multipart=True,
)
TicketViewSet.work_log = _sub_resource(
    "work_log",
    "work-log",
    serializers.WorkLogSerializer,
    serializers.WorkLogCreateSerializer,
    work_services.worklog_add,
)
TicketViewSet.charges = _sub_resource(
    "charge_lines",
    "charges",
    serializers.ChargeLineSerializer,
    serializers.ChargeLineCreateSerializer,
    work_services.charge_line_add,
)


@extend_schema(methods=["get"], responses=serializers.RepairOrderSerializer)
@extend_schema(
    methods=["post"], request=serializers.RepairOrderSignSerializer, responses={201: serializers.RepairOrderSerializer}
)
@action(detail=True, methods=["get", "post"], url_path="repair-order")
def repair_order(self, request, pk=None):
    """The customer-signed repair order (《售后维修单》); POST signs it and confirms the case."""
    ticket = self.get_object()
    if request.method == "POST":
        data = serializers.RepairOrderSignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = work_services.repair_order_sign(ticket=ticket, actor=request.user, **service_input(data.validated_data))
        return Response(
            serializers.RepairOrderSerializer(order, context={"request": request}).data, status=status.HTTP_201_CREATED
        )
    order = RepairOrder.objects.filter(ticket=ticket).first()
    if order is None:
        raise ApplicationError("repair_order_missing", "The repair order is not signed yet.", status=404)
    return Response(serializers.RepairOrderSerializer(order, context={"request": request}).data)


TicketViewSet.repair_order = repair_order


def _quotation_create(*, ticket, actor, lines, expected_version):
    return billing.quotation_create(
        ticket=ticket, actor=actor, lines=[dict(line) for line in lines], expected_version=expected_version
    )


TicketViewSet.quotations = _sub_resource(
    "quotations",
    "quotations",
    serializers.QuotationSerializer,
    serializers.QuotationCreateSerializer,
    _quotation_create,
)
TicketViewSet.loaners = _sub_resource(
    "loaners", "loaners", serializers.LoanerSerializer, serializers.LoanerCreateSerializer, billing.loaner_issue
)


def _case_action(url_path: str, input_serializer, run):
    """A POST on a case that takes ``input_serializer`` and answers with the case."""

    def handler(self, request, pk=None):
        ticket = self.get_object()
        data = input_serializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        run(ticket=ticket, actor=request.user, **service_input(data.validated_data))
        return Response(case_data(request, ticket))

    handler.__name__ = url_path.replace("-", "_")
    handler.__doc__ = run.__doc__
    handler = action(detail=True, methods=["post"], url_path=url_path)(handler)
    return extend_schema(request=input_serializer, responses=serializers.TicketSerializer)(handler)


TicketViewSet.quotation_decision = _case_action(
    "quotation-decision", serializers.QuotationDecisionSerializer, billing.quotation_decide
)
TicketViewSet.loaner_return = _case_action("loaner-return", serializers.LoanerReturnSerializer, billing.loaner_return)
TicketViewSet.escalate = _case_action("escalate", serializers.EscalateSerializer, billing.ticket_escalate)


def _change_policy(*, ticket, actor, policy, expected_version):
    """Move the case to another SLA policy; deadlines are recomputed from the start and the pause ledger."""
    return ticket_services.ticket_change_policy(
        ticket=ticket, policy=policy, actor=actor, expected_version=expected_version
    )


TicketViewSet.sla_policy = _case_action("sla-policy", serializers.PolicyChangeSerializer, _change_policy)


def _simple_action(name: str):
    def handler(self, request, pk=None):
        return self._transition(request, name, serializers.TransitionSerializer)

    handler.__name__ = name
    handler.__doc__ = f"The {name.replace('_', ' ')} transition."
    handler = action(detail=True, methods=["post"], url_path=name.replace("_", "-"))(handler)
    return extend_schema(request=serializers.TransitionSerializer, responses=serializers.TicketSerializer)(handler)


for _name in SIMPLE_ACTIONS:
    setattr(TicketViewSet, _name, _simple_action(_name))


TicketViewSet.complaint_answer = _case_action(
    "complaint-answer", serializers.ComplaintAnswerSerializer, followup_services.complaint_answer
)


class FollowUpFilter(django_filters.FilterSet):
    due_before = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")
    status = django_filters.ChoiceFilter(choices=FollowUp.Status.choices)

    class Meta:
        model = FollowUp
        fields = ["status", "complaint"]


class FollowUpViewSet(viewsets.ReadOnlyModelViewSet):
    """Follow-up calls after resolution (回访); ``complete`` records the satisfaction survey."""

    serializer_class = serializers.FollowUpSerializer
    filterset_class = FollowUpFilter
    permission_classes = [roles_may_write(Role.ADMIN, Role.SERVICE_DESK, Role.SERVICE_MANAGER)]
    queryset = FollowUp.objects.none()

    def get_queryset(self):
        tickets = ticket_scope(user=self.request.user)
        return FollowUp.objects.filter(ticket__in=tickets).select_related("ticket", "done_by").order_by("due_at")

    @extend_schema(request=serializers.FollowUpCompleteSerializer, responses=serializers.FollowUpSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        followup = self.get_object()
        check_case_action(request.user, followup.ticket, "followup")
        data = serializers.FollowUpCompleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        followup = followup_services.followup_complete(
            followup=followup, actor=request.user, **service_input(data.validated_data)
        )
        return Response(serializers.FollowUpSerializer(followup).data)
