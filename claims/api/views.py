"""Claims API: the dealer directory and accounts, claims with their transitions, old-part returns and
settlement statements. Every list and lookup is scoped to the requester (``claims.selectors``); who may do
what is decided by ``claims.permissions``."""

from __future__ import annotations

import hashlib
import json

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from aftersales.db_router import use_replica
from aftersales.errors import ApplicationError
from claims import exports, selectors
from claims import permissions as claim_permissions
from claims.api import serializers
from claims.filters import ClaimFilter, DealerFilter, ReturnFilter, StatementFilter
from claims.models import Claim, ClaimType, LabourOperation, ReasonCode, ReturnBatch, SettlementStatement
from claims.services import claims as claim_services
from claims.services import returns as return_services
from claims.services import review as review_services
from claims.services import settlement as settlement_services
from dealers.models import Dealer

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="A key of your choosing (up to 200 characters): a retried request with the same key and body "
    "answers with the claim the first one made, instead of making another.",
)
KEY_INVALID = "idempotency_key_invalid"


class ClaimsPermission(permissions.BasePermission):
    """Reading needs the claims read permission; each write action names the side that may do it."""

    def has_permission(self, request, view):
        user = request.user
        if not user or not user.is_authenticated:
            return False
        check = claim_permissions.can_read
        if request.method not in permissions.SAFE_METHODS:
            check = view.writers.get(view.action, check)
        return check(user)


def fingerprint(request) -> str:
    body = request.data.dict() if hasattr(request.data, "dict") else request.data
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def idempotency_key(request) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 200:
        message = _("The Idempotency-Key is longer than 200 characters.")
        raise ApplicationError(KEY_INVALID, message, details={"Idempotency-Key": [message]})
    return key


class QueuePagination(CursorPagination):
    """The reviewers' queue pages by its index order (no count over every open claim)."""

    ordering = ("review_due_at", "id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ClaimViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """三包 claims. The dealer creates, corrects and submits; reviewers decide line by line or return for
    information; the dealer may appeal once. Each transition is a POST action carrying the ``version`` read:
    a stale one is a 412."""

    serializer_class = serializers.ClaimListSerializer
    filterset_class = ClaimFilter
    permission_classes = [ClaimsPermission]
    queryset = Claim.objects.none()  # for the schema generator; requests use get_queryset()
    writers = {
        "create": claim_permissions.can_submit,
        "partial_update": claim_permissions.can_submit,
        "submit": claim_permissions.can_submit,
        "resubmit": claim_permissions.can_submit,
        "withdraw": claim_permissions.can_submit,
        "appeal": claim_permissions.can_submit,
        "attachments": claim_permissions.can_submit,
        "decide": claim_permissions.can_review,
        "return_for_information": claim_permissions.can_review,
    }

    def get_queryset(self):
        if self.action == "queue":
            return selectors.review_queue(user=self.request.user)
        return selectors.claim_list(user=self.request.user)

    def get_object(self):
        return selectors.claim_get(user=self.request.user, pk=self.kwargs["pk"])

    def detail_response(self, claim, *, status_code=status.HTTP_200_OK, headers=None):
        fresh = selectors.claim_get(user=self.request.user, pk=claim.pk)
        return Response(serializers.ClaimSerializer(fresh).data, status=status_code, headers=headers)

    @extend_schema(responses=serializers.ClaimSerializer)
    def retrieve(self, request, *args, **kwargs):
        return Response(serializers.ClaimSerializer(self.get_object()).data)

    @extend_schema(
        request=serializers.ClaimCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: serializers.ClaimSerializer, 200: serializers.ClaimSerializer},
    )
    def create(self, request, *args, **kwargs):
        """Create a claim (a draft, or submitted at once with ``submit``)."""
        key = idempotency_key(request)
        data = serializers.ClaimCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        lines = values.pop("lines", None)
        claim, created = claim_services.claim_create(
            actor=request.user, lines=lines, idempotency_key=key, fingerprint=fingerprint(request), **values
        )
        if created:
            return self.detail_response(claim, status_code=status.HTTP_201_CREATED)
        return self.detail_response(claim, headers={"Idempotent-Replayed": "true"})

    @extend_schema(request=serializers.ClaimUpdateSerializer, responses=serializers.ClaimSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Correct a draft or a claim returned for information."""
        claim = self.get_object()
        data = serializers.ClaimUpdateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        claim_services.claim_update(claim=claim, actor=request.user, expected_version=values.pop("version"), **values)
        return self.detail_response(claim)

    @extend_schema(
        request=serializers.SubmitSerializer, parameters=[IDEMPOTENCY_KEY], responses=serializers.ClaimSerializer
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit a draft: the automatic checks run and are stored with the claim."""
        claim = self.get_object()
        key = idempotency_key(request)
        data = serializers.SubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        claim_services.claim_submit(
            claim=claim,
            actor=request.user,
            expected_version=data.validated_data.get("version"),
            idempotency_key=key,
            fingerprint=fingerprint(request),
        )
        return self.detail_response(claim)

    @extend_schema(
        request=serializers.VersionSerializer, parameters=[IDEMPOTENCY_KEY], responses=serializers.ClaimSerializer
    )
    @action(detail=True, methods=["post"])
    def resubmit(self, request, pk=None):
        """Submit a corrected claim again (a new kept version; the checks run again)."""
        claim = self.get_object()
        key = idempotency_key(request)
        data = serializers.VersionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        claim_services.claim_resubmit(
            claim=claim,
            actor=request.user,
            expected_version=data.validated_data["version"],
            idempotency_key=key,
            fingerprint=fingerprint(request),
        )
        return self.detail_response(claim)

    @extend_schema(request=serializers.VersionSerializer, responses=serializers.ClaimSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        claim = self.get_object()
        data = serializers.VersionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        claim_services.claim_withdraw(claim=claim, actor=request.user, expected_version=data.validated_data["version"])
        return self.detail_response(claim)

    @extend_schema(request=serializers.DecideSerializer, responses=serializers.ClaimSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Decide every line under review: approve, reduce (amount and reason code) or reject (reason code)."""
        claim = self.get_object()
        data = serializers.DecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        review_services.claim_decide(
            claim=claim,
            actor=request.user,
            expected_version=values["version"],
            decisions=[dict(item) for item in values["decisions"]],
            note=values["note"],
        )
        return self.detail_response(claim)

    @extend_schema(request=serializers.ReturnForInformationSerializer, responses=serializers.ClaimSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_for_information(self, request, pk=None):
        """Return the claim to the dealer for information (the note says what is needed)."""
        claim = self.get_object()
        data = serializers.ReturnForInformationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review_services.claim_return(
            claim=claim,
            actor=request.user,
            expected_version=data.validated_data["version"],
            note=data.validated_data["note"],
        )
        return self.detail_response(claim)

    @extend_schema(request=serializers.AppealSerializer, responses=serializers.ClaimSerializer)
    @action(detail=True, methods=["post"])
    def appeal(self, request, pk=None):
        """Appeal (复议) rejected or reduced lines, once; a different reviewer decides."""
        claim = self.get_object()
        data = serializers.AppealSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        review_services.claim_appeal(
            claim=claim,
            actor=request.user,
            expected_version=values["version"],
            reason=values["reason"],
            lines=values.get("lines"),
        )
        return self.detail_response(claim)

    @extend_schema(methods=["get"], responses=serializers.ClaimAttachmentSerializer(many=True))
    @extend_schema(
        methods=["post"],
        request={"multipart/form-data": serializers.ClaimAttachmentUploadSerializer},
        responses={201: serializers.ClaimAttachmentSerializer},
    )
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser, FormParser], pagination_class=None)
    def attachments(self, request, pk=None):
        """Photos and the signed 三包 repair record (JPEG, PNG, PDF up to 10 MB): list, or add one."""
        claim = self.get_object()
        if request.method == "POST":
            data = serializers.ClaimAttachmentUploadSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            attachment = claim_services.claim_attachment_add(claim=claim, actor=request.user, **data.validated_data)
            return Response(serializers.ClaimAttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)
        return Response(serializers.ClaimAttachmentSerializer(claim.attachments.all(), many=True).data)

    @extend_schema(responses=serializers.ClaimEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        claim = self.get_object()
        page = self.paginate_queryset(claim.events.select_related("actor").order_by("at", "id"))
        return self.get_paginated_response(serializers.ClaimEventSerializer(page, many=True).data)

    @extend_schema(responses=serializers.SubmissionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def submissions(self, request, pk=None):
        """Every submission as it was sent, with what changed since the one before."""
        claim = self.get_object()
        return Response(
            serializers.SubmissionSerializer(
                claim.submissions.select_related("submitted_by").order_by("number"), many=True
            ).data
        )

    @extend_schema(responses=serializers.ClaimQueueSerializer(many=True))
    @action(
        detail=False,
        methods=["get"],
        pagination_class=QueuePagination,
        serializer_class=serializers.ClaimQueueSerializer,
    )
    def queue(self, request):
        """Claims waiting for a reviewer, oldest review deadline first (filters as the list)."""
        return self.list(request)


class DealerViewSet(viewsets.ReadOnlyModelViewSet):
    """The dealer network: a dealer's people see their own dealer only."""

    serializer_class = serializers.DealerSerializer
    filterset_class = DealerFilter
    queryset = Dealer.objects.none()

    def get_queryset(self):
        return selectors.dealer_scope(user=self.request.user).order_by("code")

    def get_object(self):
        return selectors.dealer_get(user=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(methods=["get"], responses=serializers.AccountSerializer)
    @extend_schema(
        methods=["post"],
        request=serializers.AccountEntryCreateSerializer,
        responses={201: serializers.AccountEntrySerializer},
    )
    @action(detail=True, methods=["get", "post"])
    def account(self, request, pk=None):
        """The dealer's account: balance and ledger (newest first); finance posts a credit or a debit."""
        dealer = self.get_object()
        if request.method == "POST":
            if not claim_permissions.can_settle(request.user):
                raise claim_permissions.forbidden()
            data = serializers.AccountEntryCreateSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            entry = settlement_services.account_post(actor=request.user, dealer=dealer, **data.validated_data)
            return Response(serializers.AccountEntrySerializer(entry).data, status=status.HTTP_201_CREATED)
        if not claim_permissions.can_read(request.user):
            raise claim_permissions.forbidden()
        account, entries = selectors.account_of(user=request.user, dealer=dealer)
        body = {"dealer": dealer, "balance": account.balance if account else 0, "entries": entries[:200]}
        return Response(serializers.AccountSerializer(body).data)


class PartReturnViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Old-part returns: the dealer ships a batch; the maker receives and appraises each part."""

    serializer_class = serializers.ReturnBatchSerializer
    filterset_class = ReturnFilter
    permission_classes = [ClaimsPermission]
    queryset = ReturnBatch.objects.none()
    writers = {
        "create": claim_permissions.can_submit,
        "receive": claim_permissions.can_review,
        "appraise": claim_permissions.can_review,
    }

    def get_queryset(self):
        return (
            selectors.return_scope(user=self.request.user)
            .prefetch_related("items__line__claim")
            .order_by("-shipped_at", "-id")
        )

    def get_object(self):
        return selectors.return_get(user=self.request.user, pk=self.kwargs["pk"])

    def detail_response(self, batch, status_code=status.HTTP_200_OK):
        return Response(
            serializers.ReturnBatchSerializer(selectors.return_get(user=self.request.user, pk=batch.pk)).data,
            status=status_code,
        )

    @extend_schema(request=serializers.ReturnShipSerializer, responses={201: serializers.ReturnBatchSerializer})
    def create(self, request, *args, **kwargs):
        """Ship old parts: carrier, tracking number and the claim lines the batch contains."""
        data = serializers.ReturnShipSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        batch = return_services.return_ship(actor=request.user, **data.validated_data)
        return self.detail_response(batch, status.HTTP_201_CREATED)

    @extend_schema(request=serializers.ReturnReceiveSerializer, responses=serializers.ReturnBatchSerializer)
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        batch = self.get_object()
        data = serializers.ReturnReceiveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return_services.return_receive(batch=batch, actor=request.user, items=data.validated_data.get("items"))
        return self.detail_response(batch)

    @extend_schema(request=serializers.AppraiseSerializer, responses=serializers.ReturnBatchSerializer)
    @action(detail=True, methods=["post"])
    def appraise(self, request, pk=None):
        """Appraise a received part: usable, scrap, or not the claimed part (which rejects its line)."""
        batch = self.get_object()
        data = serializers.AppraiseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = next((item for item in batch.items.all() if item.pk == data.validated_data["item"]), None)
        if item is None:
            message = _("No such item in this return.")
            raise ApplicationError("claim_invalid", message, details={"item": [message]})
        return_services.return_appraise(
            item=item,
            actor=request.user,
            appraisal=data.validated_data["appraisal"],
            note=data.validated_data["note"],
        )
        return self.detail_response(batch)


class SettlementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Settlement statements (《三包费用核销通知》): finance issues, the dealer confirms; CSV and XLSX."""

    serializer_class = serializers.StatementSerializer
    filterset_class = StatementFilter
    permission_classes = [ClaimsPermission]
    queryset = SettlementStatement.objects.none()
    writers = {"create": claim_permissions.can_settle, "confirm": claim_permissions.can_submit}

    def get_queryset(self):
        return (
            selectors.statement_scope(user=self.request.user)
            .select_related("account_entry")
            .order_by("-issued_at", "-id")
        )

    def get_object(self):
        return selectors.statement_get(user=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(responses=serializers.StatementDetailSerializer)
    def retrieve(self, request, *args, **kwargs):
        return Response(serializers.StatementDetailSerializer(self.get_object()).data)

    @extend_schema(
        request=serializers.SettlementIssueSerializer, responses={201: serializers.StatementDetailSerializer}
    )
    def create(self, request, *args, **kwargs):
        """Issue a dealer's statement of every approved line not settled yet (409 when there is none)."""
        data = serializers.SettlementIssueSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        statement = settlement_services.settlement_issue(actor=request.user, **data.validated_data)
        return Response(
            serializers.StatementDetailSerializer(selectors.statement_get(user=request.user, pk=statement.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=serializers.VersionSerializer, responses=serializers.StatementDetailSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """The dealer confirms its statement; the total is credited to its account."""
        statement = self.get_object()
        data = serializers.VersionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        settlement_services.settlement_confirm(
            statement=statement, actor=request.user, expected_version=data.validated_data["version"]
        )
        return Response(
            serializers.StatementDetailSerializer(selectors.statement_get(user=request.user, pk=statement.pk)).data
        )

    @use_replica
    def _export(self, kind: str) -> HttpResponse:
        statement = self.get_object()
        rows = settlement_services.statement_rows(statement)
        if kind == "csv":
            body, content_type = exports.statement_csv(statement, rows), "text/csv; charset=utf-8"
        else:
            body = exports.statement_xlsx(statement, rows)
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{statement.number}.{kind}"'
        return response

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY)})
    @action(detail=True, methods=["get"])
    def csv(self, request, pk=None):
        return self._export("csv")

    @extend_schema(
        responses={
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiResponse(
                OpenApiTypes.BINARY
            )
        }
    )
    @action(detail=True, methods=["get"])
    def xlsx(self, request, pk=None):
        return self._export("xlsx")


class ClaimTypeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Claim types (repair, exchange, refund, and any an admin added)."""

    serializer_class = serializers.ClaimTypeSerializer
    pagination_class = None
    queryset = ClaimType.objects.filter(is_active=True).order_by("position", "code")


class ReasonCodeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Reason codes for reducing or rejecting a line."""

    serializer_class = serializers.ReasonCodeSerializer
    pagination_class = None
    queryset = ReasonCode.objects.filter(is_active=True).order_by("position", "code")


class LabourOperationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The labour-operation catalogue with flat-rate hours per product model."""

    serializer_class = serializers.LabourOperationSerializer
    queryset = (
        LabourOperation.objects.filter(is_active=True).prefetch_related("flat_rates__product_model").order_by("code")
    )
