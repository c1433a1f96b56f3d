from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from aftersales.api.permissions import roles_may_write
from aftersales.dates import business_date
from aftersales.errors import ApplicationError
from aftersales.roles import Role
from aftersales.scoping import scope_for
from warranty import coverage as coverage_module
from warranty import engine
from warranty.api import serializers
from warranty.calendar import business_zone
from warranty.engine.explain import EXCLUSION_LABELS
from warranty.filters import UnitFilter
from warranty.models import Unit, UnitImport, WarrantyPolicy
from warranty.selectors import unit_get, unit_search
from warranty.services import imports as import_services
from warranty.services import units as unit_services

UNIT_WRITERS = (Role.ADMIN, Role.SERVICE_DESK, Role.SERVICE_MANAGER, Role.DEALER_STAFF)
REPAIR_WRITERS = (Role.ADMIN, Role.SERVICE_DESK, Role.SERVICE_MANAGER, Role.ENGINEER, Role.DEALER_STAFF)
ENGINE_INVALID = "entitlement_input_invalid"


def engine_error(error: engine.EngineError) -> ApplicationError:
    field = error.field or "non_field_errors"
    return ApplicationError(error.code or ENGINE_INVALID, str(error), details={field: [str(error)]})


class UnitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Registered units, looked up by serial / VIN. Dealer staff see only units their dealer sold."""

    lookup_field = "serial"
    lookup_value_regex = "[^/]+"
    serializer_class = serializers.UnitSerializer
    filterset_class = UnitFilter
    permission_classes = [roles_may_write(*UNIT_WRITERS)]
    queryset = Unit.objects.none()  # for the schema generator; requests use get_queryset()

    def get_queryset(self):
        query = self.request.query_params.get("q", "") if self.request else ""
        return unit_search(user=self.request.user, query=query).select_related(
            "product_model__product_line", "site", "policy", "replaces"
        )

    def get_object(self):
        return unit_get(user=self.request.user, serial=self.kwargs["serial"])

    @extend_schema(parameters=[OpenApiParameter("q", str, description="Serial / VIN prefix, customer name or phone")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=serializers.UnitCreateSerializer, responses={201: serializers.UnitSerializer})
    def create(self, request, *args, **kwargs):
        data = serializers.UnitCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        unit = unit_services.unit_register(actor=request.user, **data.validated_data)
        unit = unit_get(user=request.user, serial=unit.serial)
        return Response(serializers.UnitSerializer(unit).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=serializers.UnitUpdateSerializer, responses=serializers.UnitSerializer)
    def partial_update(self, request, *args, **kwargs):
        unit = self.get_object()
        data = serializers.UnitUpdateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        expected = changes.pop("version")
        unit_services.unit_update(actor=request.user, unit=unit, expected_version=expected, **changes)
        return Response(serializers.UnitSerializer(unit_get(user=request.user, serial=unit.serial)).data)

    @extend_schema(methods=["get"], responses=serializers.RepairRecordSerializer(many=True))
    @extend_schema(
        methods=["post"],
        request=serializers.RepairRecordCreateSerializer,
        responses={201: serializers.RepairRecordSerializer},
    )
    @action(detail=True, methods=["get", "post"], permission_classes=[roles_may_write(*REPAIR_WRITERS)])
    def repairs(self, request, serial=None):
        """The unit's repair history (oldest first), or add a repair to it."""
        unit = self.get_object()
        if request.method == "POST":
            data = serializers.RepairRecordCreateSerializer(data=request.data, context={"request": request})
            data.is_valid(raise_exception=True)
            record = unit_services.repair_record_create(actor=request.user, unit=unit, **data.validated_data)
            return Response(serializers.RepairRecordSerializer(record).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(unit.repairs.order_by("confirmed_at", "id"))
        return self.get_paginated_response(serializers.RepairRecordSerializer(page, many=True).data)


class UnitCoverageView(APIView):
    """Covered or not on a date and usage reading, on which basis, every period, and why not.

    Read-only, so it runs outside a transaction: a fixed five queries however long the unit's history."""

    @extend_schema(
        parameters=[
            OpenApiParameter("on", OpenApiTypes.DATE, description="Default: today in your time zone"),
            OpenApiParameter("usage", int, description="Default: the unit's last usage reading"),
            OpenApiParameter("component", str, description="A component code, for its own period"),
        ],
        responses=serializers.CoverageSerializer,
    )
    def get(self, request, serial):
        query = serializers.CoverageQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        unit = unit_get(user=request.user, serial=serial, coverage_reads=True)
        on = query.validated_data.get("on") or business_date()
        usage = query.validated_data.get("usage", unit.usage_reading)
        answer = coverage_module.coverage(unit, on=on, usage=usage, component=query.validated_data.get("component", ""))
        return Response(serializers.CoverageSerializer(answer).data)


class EntitlementView(APIView):
    """What the consumer has a right to under 三包, by which rule and why (strongest first)."""

    @extend_schema(request=serializers.EntitlementRequestSerializer, responses=serializers.EvaluationSerializer)
    def post(self, request):
        data = serializers.EntitlementRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        fault = engine.Fault(**{**values["fault"], "failure_types": tuple(values["fault"]["failure_types"])})
        history = None
        if "history" in values:
            history = tuple(history_item(item) for item in values["history"])
        available = values["same_model_available"]
        try:
            if "unit" in values:
                unit = unit_get(user=request.user, serial=values["unit"], coverage_reads=True)
                basis, evaluation = coverage_module.evaluate_unit(
                    unit,
                    claim_date=values["claim_date"],
                    usage=values.get("usage"),
                    fault=fault,
                    history=history,
                    same_model_available=available,
                )
                if evaluation is None:
                    raise ApplicationError(basis.reason, basis.message, details={"unit": [basis.message]})
            else:
                terms = terms_for(values)
                facts = engine.UnitFacts(
                    invoice_date=values.get("invoice_date"),
                    delivery_date=values.get("delivery_date"),
                    installation_date=values.get("installation_date"),
                    acceptance_date=values.get("acceptance_date"),
                    price=values.get("price"),
                    same_model_available=available,
                    replacement_car_available=available,
                )
                evaluation = engine.evaluate(
                    terms,
                    facts,
                    claim_date=values["claim_date"],
                    usage=values.get("usage"),
                    fault=fault,
                    history=history or (),
                    is_working_day=coverage_module.is_working_day,
                    zone=business_zone(),
                )
        except engine.EngineError as error:
            raise engine_error(error) from error
        answer = evaluation_json(evaluation, same_model_available=available, exclusion=fault.exclusion)
        return Response(serializers.EvaluationSerializer(answer).data)


def history_item(item: dict) -> engine.Repair:
    return engine.Repair(
        confirmed_at=item["confirmed_at"],
        completed_at=item.get("completed_at"),
        usage=item.get("usage"),
        problem_code=item["problem_code"],
        quality_problem=item["quality_problem"],
        serious_safety=item["serious_safety"],
        assemblies_replaced=tuple(item["assemblies_replaced"]),
        main_parts_replaced=tuple((part["system"], part["part"]) for part in item["main_parts_replaced"]),
        excluded_hours=item["excluded_hours"],
        parts_wait_hours=item["parts_wait_hours"],
        parts_wait_party=item["parts_wait_party"],
        component=item["component"],
    )


def terms_for(values: dict) -> engine.Terms:
    """A policy's version in force at the start date, or a regime's statutory defaults."""
    if "regime" in values:
        regime = values["regime"]
        return engine.preset("catalogue_goods" if regime == "consumer_goods" else regime)
    policy: WarrantyPolicy = values["policy"]
    facts = engine.UnitFacts(
        invoice_date=values.get("invoice_date"),
        delivery_date=values.get("delivery_date"),
        installation_date=values.get("installation_date"),
        acceptance_date=values.get("acceptance_date"),
    )
    found = coverage_module.version_in_force(policy, facts)
    if found is None:
        message = coverage_module.no_version_message(policy)
        raise ApplicationError(coverage_module.NO_POLICY_VERSION, message, details={"policy": [message]})
    return found[1]


def evaluation_json(evaluation: engine.Evaluation, *, same_model_available: bool = True, exclusion: str = "") -> dict:
    return {
        "regime": evaluation.regime,
        "start_date": evaluation.start_date,
        "start_event": evaluation.start_event,
        "periods": {name: coverage_module.period_json(period) for name, period in evaluation.periods.items()},
        "repair_days_total": evaluation.repair_days_total,
        "days_since_hand_in": evaluation.days_since_hand_in,
        "refund_date": evaluation.refund_date,
        "same_model_available": same_model_available,
        "exclusion": {"code": exclusion, "label": str(EXCLUSION_LABELS[exclusion])} if exclusion else None,
        "results": [
            {
                "rule": r.rule,
                "options": list(r.options),
                "charge": r.charge,
                "amount": r.amount,
                "explanation": r.explanation,
            }
            for r in evaluation.results
        ],
    }


class UnitImportViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """CSV / XLSX unit imports: upload, then watch progress; row errors at ``/{id}/errors/``."""

    serializer_class = serializers.UnitImportSerializer
    parser_classes = [MultiPartParser, FormParser]
    permission_classes = [roles_may_write(Role.ADMIN, Role.SERVICE_MANAGER, Role.DEALER_STAFF)]
    queryset = UnitImport.objects.none()

    def get_queryset(self):
        return scope_for(self.request.user, UnitImport.objects.select_related("dealer")).order_by("-created_at", "-id")

    @extend_schema(
        request={"multipart/form-data": serializers.UnitImportCreateSerializer},
        responses={201: serializers.UnitImportSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = serializers.UnitImportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = import_services.unit_import_create(actor=request.user, uploaded_file=data.validated_data["file"])
        return Response(serializers.UnitImportSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=serializers.UnitImportErrorSerializer(many=True))
    @action(detail=True, methods=["get"])
    def errors(self, request, pk=None):
        job = self.get_object()
        page = self.paginate_queryset(job.errors.all())
        return self.get_paginated_response(serializers.UnitImportErrorSerializer(page, many=True).data)


class PolicyViewSet(viewsets.ReadOnlyModelViewSet):
    """Warranty policies with their versions (edited by admins in the Django admin)."""

    serializer_class = serializers.PolicySerializer
    queryset = WarrantyPolicy.objects.prefetch_related("versions").order_by("code")
    filterset_fields = ["regime"]
