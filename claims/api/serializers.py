"""Claims API: input serializers (strict, every id resolved within the requester's scope) and output ones.
Money travels as decimal strings."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from aftersales.api.scoped_fields import ScopedPrimaryKeyRelatedField, ScopedSlugRelatedField
from aftersales.api.serializers import StrictSerializer
from claims import transitions
from claims.models import (
    AccountEntry,
    Claim,
    ClaimAttachment,
    ClaimCheck,
    ClaimEvent,
    ClaimLine,
    ClaimSubmission,
    ClaimType,
    DealerAccount,
    DocumentKind,
    LabourOperation,
    ReasonCode,
    ReturnBatch,
    ReturnItem,
    SettlementStatement,
)
from claims.selectors import latest_checks
from claims.services.checks import check_label
from claims.services.settlement import statement_rows
from dealers.models import Dealer
from tickets.models import Ticket
from warranty.api.serializers import UnitSerialRelatedField

MONEY = {"max_digits": 12, "decimal_places": 2}


# --- input ------------------------------------------------------------------------------------------------


class LineInputSerializer(StrictSerializer):
    id = serializers.IntegerField(
        required=False, min_value=1, help_text=_("On a correction: the line changed in place (else a new line).")
    )
    kind = serializers.ChoiceField(choices=ClaimLine.Kind.choices)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    operation = serializers.SlugRelatedField(
        slug_field="code", queryset=LabourOperation.objects.filter(is_active=True), required=False, allow_null=True
    )
    hours = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=0, required=False, allow_null=True)
    part_number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    part_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    quantity = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0, required=False, allow_null=True)
    unit_price = serializers.DecimalField(
        **MONEY,
        min_value=0,
        required=False,
        allow_null=True,
        help_text=_("Default: the price list's on the repair date."),
    )
    old_part_serial = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    cost_kind = serializers.ChoiceField(
        choices=ClaimLine.CostKind.choices, required=False, allow_blank=True, default=""
    )
    amount = serializers.DecimalField(**MONEY, min_value=0, required=False, allow_null=True)


class ClaimHeaderSerializer(StrictSerializer):
    claim_type = serializers.SlugRelatedField(slug_field="code", queryset=ClaimType.objects.filter(is_active=True))
    problem_code = serializers.CharField(max_length=64)
    fault_description = serializers.CharField()
    fault_date = serializers.DateField()
    component = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    serious_safety = serializers.BooleanField(required=False, default=False)
    repair_agreed_at = serializers.DateTimeField()
    repair_completed_at = serializers.DateTimeField()
    usage = serializers.IntegerField(min_value=0, required=False, allow_null=True)


class ClaimCreateSerializer(ClaimHeaderSerializer):
    unit = UnitSerialRelatedField(help_text=_("Serial / VIN of a unit your dealer sold or serves."))
    ticket = ScopedPrimaryKeyRelatedField(
        queryset=Ticket.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("The resolved case the claim is for; without lines, the case's parts and labour are taken."),
    )
    lines = LineInputSerializer(many=True, required=False)
    submit = serializers.BooleanField(required=False, default=False, help_text=_("Submit at once."))


class ClaimUpdateSerializer(StrictSerializer):
    """A correction: only the fields sent change."""

    version = serializers.IntegerField(min_value=1)
    claim_type = serializers.SlugRelatedField(
        slug_field="code", queryset=ClaimType.objects.filter(is_active=True), required=False
    )
    problem_code = serializers.CharField(max_length=64, required=False)
    fault_description = serializers.CharField(required=False)
    fault_date = serializers.DateField(required=False)
    component = serializers.CharField(max_length=64, required=False, allow_blank=True)
    serious_safety = serializers.BooleanField(required=False)
    repair_agreed_at = serializers.DateTimeField(required=False)
    repair_completed_at = serializers.DateTimeField(required=False)
    usage = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    lines = LineInputSerializer(many=True, required=False, help_text=_("Replaces the lines (ids keep theirs)."))


class VersionSerializer(StrictSerializer):
    version = serializers.IntegerField(min_value=1, help_text=_("The version you read (412 when stale)."))


class SubmitSerializer(StrictSerializer):
    version = serializers.IntegerField(min_value=1, required=False)


class DecisionItemSerializer(StrictSerializer):
    line = serializers.IntegerField(min_value=1, help_text=_("The line's id."))
    decision = serializers.ChoiceField(choices=[("approve", "approve"), ("reduce", "reduce"), ("reject", "reject")])
    amount = serializers.DecimalField(**MONEY, min_value=0, required=False, allow_null=True)
    reason = serializers.SlugRelatedField(
        slug_field="code", queryset=ReasonCode.objects.filter(is_active=True), required=False, allow_null=True
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs.get("reason") is not None:
            attrs["reason"] = attrs["reason"].code
        return attrs


class DecideSerializer(StrictSerializer):
    version = serializers.IntegerField(min_value=1)
    decisions = DecisionItemSerializer(many=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ReturnForInformationSerializer(StrictSerializer):
    version = serializers.IntegerField(min_value=1)
    note = serializers.CharField()


class AppealSerializer(StrictSerializer):
    version = serializers.IntegerField(min_value=1)
    reason = serializers.CharField()
    lines = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        help_text=_("Ids of the rejected or reduced lines appealed (default: all of them)."),
    )


class ClaimAttachmentUploadSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    file = serializers.FileField()


class ReturnShipSerializer(StrictSerializer):
    carrier = serializers.CharField(max_length=100)
    tracking_number = serializers.CharField(max_length=100)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    lines = ScopedPrimaryKeyRelatedField(
        queryset=ClaimLine.objects.all(), many=True, help_text=_("Ids of the claim lines whose old parts are in it.")
    )


class ReturnReceiveSerializer(StrictSerializer):
    items = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, help_text=_("Default: every item.")
    )


class AppraiseSerializer(StrictSerializer):
    item = serializers.IntegerField(min_value=1)
    appraisal = serializers.ChoiceField(
        choices=[c for c in ReturnItem.Appraisal.choices if c[0]],
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class SettlementIssueSerializer(StrictSerializer):
    dealer = ScopedSlugRelatedField(slug_field="code", queryset=Dealer.objects.all())
    period_end = serializers.DateField(help_text=_("Lines decided up to this day (business time zone)."))


class AccountEntryCreateSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=AccountEntry.Kind.choices)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    description = serializers.CharField(max_length=200)


# --- output -----------------------------------------------------------------------------------------------


class CodeNameSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(source="__str__")


class DealerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Dealer
        fields = [
            "id",
            "code",
            "name",
            "region",
            "province",
            "city",
            "address",
            "latitude",
            "longitude",
            "labour_rate",
            "rating_tier",
            "is_active",
            "suspended",
        ]


class DealerBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Dealer
        fields = ["id", "code", "name"]


class CheckSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()
    message = serializers.CharField(read_only=True)
    proposed_reason = serializers.SlugRelatedField(slug_field="code", read_only=True)
    line = serializers.IntegerField(source="line_id", allow_null=True)

    class Meta:
        model = ClaimCheck
        fields = ["code", "label", "outcome", "message", "proposed_reason", "line", "params"]

    def get_label(self, check) -> str:
        return check_label(check.code)


class LineSerializer(serializers.ModelSerializer):
    operation = serializers.SlugRelatedField(slug_field="code", read_only=True)
    reason = serializers.SlugRelatedField(slug_field="code", read_only=True)
    return_batch = serializers.SerializerMethodField()
    settled_on = serializers.SerializerMethodField()

    class Meta:
        model = ClaimLine
        fields = [
            "id",
            "position",
            "kind",
            "description",
            "operation",
            "hours",
            "standard_hours",
            "rate",
            "part_number",
            "part_name",
            "quantity",
            "unit_price",
            "list_price",
            "return_required",
            "return_due_on",
            "part_received_at",
            "old_part_serial",
            "cost_kind",
            "claimed_amount",
            "decision",
            "approved_amount",
            "reason",
            "decision_note",
            "decided_at",
            "appealed",
            "return_batch",
            "settled_on",
        ]

    def get_return_batch(self, line) -> str | None:
        item = getattr(line, "return_item", None) if hasattr(line, "return_item") else None
        return item.batch.number if item else None

    def get_settled_on(self, line) -> str | None:
        settled = getattr(line, "settlement", None) if hasattr(line, "settlement") else None
        return settled.statement.number if settled else None


class SubmissionSerializer(serializers.ModelSerializer):
    submitted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ClaimSubmission
        fields = ["number", "submitted_at", "submitted_by", "changes", "snapshot"]


class ClaimAttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClaimAttachment
        fields = ["id", "kind", "original_name", "content_type", "size", "uploaded_at"]


class ClaimListSerializer(serializers.ModelSerializer):
    dealer = DealerBriefSerializer()
    unit = serializers.CharField(source="unit.serial")
    claim_type = serializers.CharField(source="claim_type.code")
    status_label = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = [
            "id",
            "number",
            "status",
            "status_label",
            "dealer",
            "unit",
            "claim_type",
            "problem_code",
            "fault_date",
            "claimed_total",
            "approved_total",
            "failed_checks",
            "submitted_at",
            "review_due_at",
            "decided_at",
            "spot_check",
            "version",
        ]

    def get_status_label(self, claim) -> str:
        return str(transitions.STATUS_LABELS[claim.status])


class ClaimQueueSerializer(ClaimListSerializer):
    """A row of the reviewers' queue: the list's fields, named apart so the schema documents the queue's
    cursor page (next / previous, no count) instead of the list's numbered page."""


class ClaimSerializer(ClaimListSerializer):
    ticket = serializers.CharField(source="ticket.number", allow_null=True, default=None)
    programme = serializers.CharField(source="programme.code")
    lines = LineSerializer(many=True)
    checks = serializers.SerializerMethodField()
    attachments = ClaimAttachmentSerializer(many=True)
    reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    appeal_reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta(ClaimListSerializer.Meta):
        fields = [
            *ClaimListSerializer.Meta.fields,
            "ticket",
            "programme",
            "fault_description",
            "component",
            "serious_safety",
            "repair_agreed_at",
            "repair_completed_at",
            "usage",
            "submission_count",
            "last_submitted_at",
            "escalated_at",
            "reviewer",
            "appeal_count",
            "appealed_at",
            "appeal_reason",
            "appeal_reviewer",
            "repair_record",
            "lines",
            "checks",
            "attachments",
            "allowed_actions",
        ]

    def get_checks(self, claim) -> list[dict]:
        return CheckSerializer(latest_checks(claim), many=True).data

    def get_allowed_actions(self, claim) -> list[str]:
        return transitions.allowed_actions(claim.status)


class ClaimEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ClaimEvent
        fields = ["id", "kind", "actor", "from_state", "to_state", "data", "at"]


class ReturnItemSerializer(serializers.ModelSerializer):
    claim = serializers.CharField(source="line.claim.number")
    line_id = serializers.IntegerField()
    position = serializers.IntegerField(source="line.position")
    part_number = serializers.CharField(source="line.part_number")
    old_part_serial = serializers.CharField(source="line.old_part_serial")

    class Meta:
        model = ReturnItem
        fields = [
            "id",
            "claim",
            "line_id",
            "position",
            "part_number",
            "old_part_serial",
            "received_at",
            "appraisal",
            "appraised_at",
            "note",
        ]


class ReturnBatchSerializer(serializers.ModelSerializer):
    dealer = DealerBriefSerializer()
    items = ReturnItemSerializer(many=True)

    class Meta:
        model = ReturnBatch
        fields = ["id", "number", "dealer", "carrier", "tracking_number", "note", "shipped_at", "received_at", "items"]


class StatementSerializer(serializers.ModelSerializer):
    dealer = DealerBriefSerializer()
    balance_after = serializers.SerializerMethodField()

    class Meta:
        model = SettlementStatement
        fields = [
            "id",
            "number",
            "dealer",
            "period_end",
            "status",
            "line_count",
            "total",
            "issued_at",
            "confirmed_at",
            "balance_after",
            "version",
        ]

    def get_balance_after(self, statement) -> str | None:
        entry = getattr(statement, "account_entry", None) if hasattr(statement, "account_entry") else None
        return str(entry.balance_after) if entry else None


class StatementLineSerializer(serializers.Serializer):
    claim = serializers.CharField()
    unit = serializers.CharField()
    line = serializers.IntegerField()
    kind = serializers.CharField()
    description = serializers.CharField()
    claimed = serializers.DecimalField(**MONEY)
    settled = serializers.DecimalField(**MONEY)
    reason = serializers.CharField()


class StatementDetailSerializer(StatementSerializer):
    lines = serializers.SerializerMethodField()

    class Meta(StatementSerializer.Meta):
        fields = [*StatementSerializer.Meta.fields, "lines"]

    def get_lines(self, statement) -> list[dict]:
        names = ["claim", "unit", "line", "kind", "description", "claimed", "settled", "reason"]
        return StatementLineSerializer(
            [dict(zip(names, row, strict=True)) for row in statement_rows(statement)], many=True
        ).data


class AccountEntrySerializer(serializers.ModelSerializer):
    statement = serializers.SlugRelatedField(slug_field="number", read_only=True)

    class Meta:
        model = AccountEntry
        fields = ["id", "kind", "amount", "balance_after", "statement", "description", "at"]


class AccountSerializer(serializers.Serializer):
    dealer = DealerBriefSerializer()
    balance = serializers.DecimalField(max_digits=14, decimal_places=2)
    entries = AccountEntrySerializer(many=True)


class ClaimTypeSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="__str__")

    class Meta:
        model = ClaimType
        fields = ["code", "label", "name", "name_en", "remedies"]


class ReasonCodeSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="__str__")

    class Meta:
        model = ReasonCode
        fields = ["code", "label", "name", "name_en"]


class FlatRateSerializer(serializers.Serializer):
    model = serializers.CharField(source="product_model.code")
    hours = serializers.DecimalField(max_digits=6, decimal_places=2)


class LabourOperationSerializer(serializers.ModelSerializer):
    flat_rates = FlatRateSerializer(many=True)

    class Meta:
        model = LabourOperation
        fields = ["id", "code", "description", "flat_rates"]


class DealerAccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = DealerAccount
        fields = ["balance", "updated_at"]
