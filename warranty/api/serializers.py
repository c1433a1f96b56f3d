from django.utils import timezone
from django.utils.encoding import smart_str
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from aftersales.api.scoped_fields import ScopedPrimaryKeyRelatedField, ScopedSlugRelatedField
from aftersales.api.serializers import StrictSerializer
from aftersales.prepared import PreparedGet
from aftersales.scoping import viewer
from dealers.models import Dealer
from warranty.engine.explain import EXCLUSION_LABELS
from warranty.engine.presets import CAR_ASSEMBLIES, CAR_EARLY_FAILURES, CAR_MAIN_PART_SYSTEMS
from warranty.engine.types import EXCLUSIONS
from warranty.models import (
    Customer,
    PolicyVersion,
    ProductModel,
    RepairRecord,
    Site,
    Unit,
    UnitImport,
    UnitImportError,
    WarrantyPolicy,
)
from warranty.selectors import normalize_serial

# Every code any regime knows; a regime that does not use one simply does not count it.
FAILURE_TYPES = tuple(dict.fromkeys(code for codes in CAR_EARLY_FAILURES.values() for code in codes))
ASSEMBLIES = tuple(dict.fromkeys(code for codes in CAR_ASSEMBLIES.values() for code in codes))
MAIN_PART_SYSTEMS = tuple(dict.fromkeys(code for codes in CAR_MAIN_PART_SYSTEMS.values() for code in codes))
# Every exclusion any regime knows, with its label; the engine refuses one the unit's regime does not know.
EXCLUSION_CHOICES = [
    (code, EXCLUSION_LABELS[code]) for code in dict.fromkeys(code for codes in EXCLUSIONS.values() for code in codes)
]


class CodeNameSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class CustomerBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "kind", "name", "phone"]


class SiteBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = ["id", "name", "address", "province", "city", "latitude", "longitude"]


class UnitSerializer(serializers.ModelSerializer):
    model = CodeNameSerializer(source="product_model")
    product_line = serializers.CharField(source="product_model.product_line.name")
    customer = CustomerBriefSerializer(allow_null=True)
    site = SiteBriefSerializer(allow_null=True)
    selling_dealer = CodeNameSerializer(allow_null=True)
    policy = serializers.CharField(source="policy.code", allow_null=True, default=None)
    replaces = serializers.CharField(source="replaces.serial", allow_null=True, default=None)

    class Meta:
        model = Unit
        fields = [
            "id",
            "serial",
            "model",
            "product_line",
            "customer",
            "site",
            "selling_dealer",
            "policy",
            "invoice_date",
            "delivery_date",
            "installation_date",
            "acceptance_date",
            "price",
            "usage_reading",
            "usage_read_at",
            "replaces",
            "replaced_on",
            "registered_at",
            "registered_late",
            "version",
        ]


# The lookups of units named in request bodies that are compiled once and prepared (UnitSerialRelatedField).
_prepared_units = PreparedGet()


class UnitSerialRelatedField(ScopedSlugRelatedField):
    """A unit named by serial / VIN (spaces and case ignored), among the units the requester may see.

    ``prepared_as`` (a name unique to the field's declaration) sends the lookup of the manufacturer's staff,
    who see every unit, as a statement compiled once per process and prepared per connection
    (aftersales.prepared): the query that opens a case reads the unit with its owner, site, model, policies
    and what its coverage reads, and building and planning it cost more than running it. A dealer's lookup
    (its scope in the query) is made as any other."""

    def __init__(self, *, prepared_as: str | None = None, **kwargs):
        kwargs.setdefault("queryset", Unit.objects.all())
        self.prepared_as = prepared_as
        super().__init__(slug_field="serial", **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = normalize_serial(data)
        if self.prepared_as is None or not isinstance(data, str):
            return super().to_internal_value(data)
        queryset = self.get_queryset()
        if not viewer(self.context["request"].user).everything:
            return super().to_internal_value(data)
        try:
            # Only for those who see every unit: the key names the declaration and that scope.
            return _prepared_units.get((self.prepared_as, "everything"), queryset, self.slug_field, data)
        except Unit.DoesNotExist:
            self.fail("does_not_exist", slug_name=self.slug_field, value=smart_str(data))
        except (TypeError, ValueError):  # as DRF's own lookup: text the database cannot take
            self.fail("invalid")


class UnitWriteSerializer(StrictSerializer):
    """Every id or code in the body is looked up within what the requester may see (aftersales.scoping)."""

    model = serializers.SlugRelatedField(slug_field="code", queryset=ProductModel.objects.all(), required=False)
    customer = ScopedPrimaryKeyRelatedField(queryset=Customer.objects.all(), required=False, allow_null=True)
    site = ScopedPrimaryKeyRelatedField(queryset=Site.objects.all(), required=False, allow_null=True)
    selling_dealer = ScopedSlugRelatedField(
        slug_field="code", queryset=Dealer.objects.all(), required=False, allow_null=True
    )
    policy = serializers.SlugRelatedField(
        slug_field="code", queryset=WarrantyPolicy.objects.all(), required=False, allow_null=True
    )
    invoice_date = serializers.DateField(required=False, allow_null=True)
    delivery_date = serializers.DateField(required=False, allow_null=True)
    installation_date = serializers.DateField(required=False, allow_null=True)
    acceptance_date = serializers.DateField(required=False, allow_null=True)
    price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True)
    usage_reading = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    usage_read_at = serializers.DateTimeField(required=False, allow_null=True)
    replaces = UnitSerialRelatedField(required=False, allow_null=True)
    replaced_on = serializers.DateField(required=False, allow_null=True)

    def validate(self, attrs):
        site, customer = attrs.get("site"), attrs.get("customer")
        if site is not None and customer is not None and site.customer_id != customer.pk:
            raise serializers.ValidationError({"site": [_("This site belongs to another customer.")]})
        if "model" in attrs:
            attrs["product_model"] = attrs.pop("model")
        return attrs


class UnitCreateSerializer(UnitWriteSerializer):
    serial = serializers.CharField(max_length=64)

    def get_fields(self):
        fields = super().get_fields()
        fields["model"].required = True
        return fields


class UnitUpdateSerializer(UnitWriteSerializer):
    version = serializers.IntegerField(min_value=1, help_text=_("The version you read; a stale one gets 412."))


class CoverageQuerySerializer(StrictSerializer):
    on = serializers.DateField(required=False, help_text=_("Default: today in your time zone."))
    usage = serializers.IntegerField(min_value=0, required=False, help_text=_("Default: the unit's last reading."))
    component = serializers.CharField(required=False, allow_blank=True, max_length=64)
    format = serializers.CharField(required=False)


class PeriodSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    usage_limit = serializers.IntegerField(allow_null=True)
    active = serializers.BooleanField()


class ComponentPeriodSerializer(PeriodSerializer):
    code = serializers.CharField()


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class ContractBriefSerializer(serializers.Serializer):
    number = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class PolicyBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class BasisSerializer(serializers.Serializer):
    regime = serializers.CharField()
    policy = PolicyBriefSerializer()
    version = serializers.IntegerField()
    effective_from = serializers.DateField()
    contract = ContractBriefSerializer(allow_null=True)
    start_event = serializers.CharField()
    start_date = serializers.DateField()


class RegistrationSerializer(serializers.Serializer):
    registered_at = serializers.DateTimeField()
    late = serializers.BooleanField()
    due = serializers.DateField(allow_null=True)


class CoverageSerializer(serializers.Serializer):
    serial = serializers.CharField()
    on = serializers.DateField()
    usage = serializers.IntegerField(allow_null=True)
    covered = serializers.BooleanField()
    basis = BasisSerializer(allow_null=True)
    periods = PeriodSerializer(many=True)
    component = ComponentPeriodSerializer(allow_null=True)
    reason = ReasonSerializer(allow_null=True)
    registration = RegistrationSerializer()


class MainPartSerializer(StrictSerializer):
    system = serializers.ChoiceField(choices=MAIN_PART_SYSTEMS)
    part = serializers.CharField(max_length=64)


class RepairFactsMixin(serializers.Serializer):
    """The fields of a repair that the entitlement engine counts."""

    usage = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    problem_code = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    quality_problem = serializers.BooleanField(required=False, default=True)
    serious_safety = serializers.BooleanField(required=False, default=False)
    assemblies_replaced = serializers.ListField(
        child=serializers.ChoiceField(choices=ASSEMBLIES), required=False, default=list
    )
    main_parts_replaced = MainPartSerializer(many=True, required=False, default=list)
    excluded_hours = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0, required=False, default=0)
    parts_wait_hours = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0, required=False, default=0)
    parts_wait_party = serializers.ChoiceField(choices=RepairRecord.WaitParty.choices, required=False, default="")
    component = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        confirmed, completed = attrs.get("confirmed_at"), attrs.get("completed_at")
        if confirmed and completed and completed < confirmed:
            raise serializers.ValidationError(
                {"completed_at": [_("Completion cannot come before the repair was agreed.")]}, code="dates_invalid"
            )
        return attrs


class HistoryItemSerializer(RepairFactsMixin, StrictSerializer):
    confirmed_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(required=False, allow_null=True)


class FaultSerializer(StrictSerializer):
    problem_code = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    quality_problem = serializers.BooleanField(required=False, default=True)
    serious_safety = serializers.BooleanField(required=False, default=False)
    failure_types = serializers.ListField(
        child=serializers.ChoiceField(choices=FAILURE_TYPES), required=False, default=list
    )
    needs_assembly_replacement = serializers.BooleanField(required=False, default=False)
    assembly_main_part_defect = serializers.BooleanField(required=False, default=False)
    still_unusable = serializers.BooleanField(required=False, default=False)
    serious_fault_persists = serializers.BooleanField(required=False, default=False)
    component = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    handed_in_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text=_(
            "When the unit was handed in for the repair under way. The consumer-goods thresholds (G-12a parts "
            "wait, G-12b repairer delay, G-BK loaner) count calendar days in the policy's time zone: the hand-in "
            "day is not counted, so a right of more than N days arises on day N + 1 after the hand-in day."
        ),
    )
    return_usage = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    parts_wait_party = serializers.ChoiceField(choices=RepairRecord.WaitParty.choices, required=False, default="")
    refund_date = serializers.DateField(
        required=False,
        allow_null=True,
        help_text=_(
            "The day a consumer-goods refund is made; depreciation counts the days of use up to it. Default: the "
            "claim date. Not before the invoice date or the claim date. Other regimes do not use it."
        ),
    )
    exclusion = serializers.ChoiceField(
        choices=EXCLUSION_CHOICES,
        required=False,
        allow_blank=True,
        default="",
        help_text=_(
            "The excluded cause that applies, if any: it stops every other rule and the G-X / CAR-X32 / K-X "
            "explanation names it. Consumer goods: misuse, unauthorised_disassembly, no_certificate_or_invoice, "
            "altered_certificate, force_majeure. Cars: disclosed_defect, against_manual, prohibited_modification, "
            "improper_handling, force_majeure. Contracts: human_damage, force_majeure, against_manual, "
            "unauthorised_disassembly, non_maker_parts, own_transport_or_storage, site_environment, consumable, "
            "software. A code of another regime is refused (unknown_exclusion)."
        ),
    )


class EntitlementRequestSerializer(StrictSerializer):
    unit = serializers.CharField(required=False, help_text=_("Serial / VIN of a registered unit."))
    policy = serializers.PrimaryKeyRelatedField(queryset=WarrantyPolicy.objects.all(), required=False)
    regime = serializers.ChoiceField(
        choices=WarrantyPolicy.Regime.choices, required=False, help_text=_("Statutory defaults of this regime.")
    )
    invoice_date = serializers.DateField(required=False)
    delivery_date = serializers.DateField(required=False)
    installation_date = serializers.DateField(required=False)
    acceptance_date = serializers.DateField(required=False)
    price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False)
    claim_date = serializers.DateField()
    usage = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    same_model_available = serializers.BooleanField(
        required=False,
        default=True,
        help_text=_(
            "Whether a unit of the same model is still available. A consumer-goods refund carries depreciation "
            "only when it is (Art 13); under car_2013 a refund instead of an exchange is offered only when no car "
            "of the same model is. Allowed with a registered unit too, since it is not stored on the unit."
        ),
    )
    fault = FaultSerializer()
    history = HistoryItemSerializer(many=True, required=False)

    def validate(self, attrs):
        chosen = [name for name in ("unit", "policy", "regime") if name in attrs]
        if len(chosen) != 1:
            raise serializers.ValidationError(
                {"unit": [_("Give exactly one of unit, policy or regime.")]}, code="basis_required"
            )
        if "unit" in attrs:
            attrs["unit"] = normalize_serial(attrs["unit"])
            extra = [
                name
                for name in ("invoice_date", "delivery_date", "installation_date", "acceptance_date", "price")
                if name in attrs
            ]
            if extra:
                raise serializers.ValidationError({name: [_("Taken from the registered unit.")] for name in extra})
        elif "invoice_date" not in attrs:
            raise serializers.ValidationError({"invoice_date": [_("Required when no unit is given.")]})
        for item in attrs.get("history", []):
            if item["confirmed_at"].date() > attrs["claim_date"]:
                raise serializers.ValidationError(
                    {"history": [_("A repair cannot be agreed after the claim date.")]}, code="dates_invalid"
                )
        return attrs


class ResultSerializer(serializers.Serializer):
    rule = serializers.CharField()
    options = serializers.ListField(child=serializers.CharField())
    charge = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    explanation = serializers.CharField()


class ExclusionSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class EvaluationSerializer(serializers.Serializer):
    regime = serializers.CharField()
    start_date = serializers.DateField()
    start_event = serializers.CharField()
    periods = serializers.DictField(child=PeriodSerializer())
    repair_days_total = serializers.IntegerField()
    days_since_hand_in = serializers.IntegerField(
        allow_null=True,
        help_text=_(
            "Calendar days from the hand-in day (not counted) to the assessed day, as G-12a, G-12b and G-BK count "
            "them; null when the unit is not in a repair."
        ),
    )
    refund_date = serializers.DateField(
        allow_null=True,
        help_text=_("The day a consumer-goods refund's depreciation is counted to; null for the other regimes."),
    )
    same_model_available = serializers.BooleanField(help_text=_("As given (default true)."))
    exclusion = ExclusionSerializer(allow_null=True, help_text=_("The exclusion given, with its label."))
    results = ResultSerializer(many=True)


class RepairRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = RepairRecord
        exclude = ["unit"]
        read_only_fields = ["id", "created_at", "source"]


class RepairRecordCreateSerializer(RepairFactsMixin, StrictSerializer):
    confirmed_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(required=False, allow_null=True)
    handed_in_at = serializers.DateTimeField(required=False, allow_null=True)
    fault_description = serializers.CharField(required=False, allow_blank=True, default="")
    inspection_result = serializers.CharField(required=False, allow_blank=True, default="")
    repair_items = serializers.CharField(required=False, allow_blank=True, default="")
    replaced_parts = serializers.ListField(child=serializers.DictField(), required=False, default=list)
    material_cost = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False, default=0)
    labour_cost = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False, default=0)
    towing = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    substitute_unit = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    returned_at = serializers.DateTimeField(required=False, allow_null=True)
    customer_signature = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    repairer_signature = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    def validate_confirmed_at(self, value):
        if value > timezone.now():
            raise serializers.ValidationError(_("This time is in the future."))
        return value


class PolicyVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PolicyVersion
        exclude = ["policy"]


class PolicySerializer(serializers.ModelSerializer):
    versions = PolicyVersionSerializer(many=True, read_only=True)

    class Meta:
        model = WarrantyPolicy
        fields = ["id", "code", "name", "regime", "description", "versions"]


class UnitImportSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()
    dealer = serializers.CharField(source="dealer.code", allow_null=True, default=None)

    class Meta:
        model = UnitImport
        fields = [
            "id",
            "original_name",
            "status",
            "dealer",
            "total_rows",
            "processed_rows",
            "progress",
            "created_count",
            "updated_count",
            "unchanged_count",
            "error_count",
            "failure",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def get_progress(self, job) -> float | None:
        if not job.total_rows:
            return 100.0 if job.status == UnitImport.Status.DONE else None
        return round(100 * job.processed_rows / job.total_rows, 1)


class UnitImportCreateSerializer(StrictSerializer):
    file = serializers.FileField()


class UnitImportErrorSerializer(serializers.ModelSerializer):
    class Meta:
        model = UnitImportError
        fields = ["row", "field", "code", "message"]
