from datetime import datetime
from decimal import Decimal

import orjson
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from aftersales.api.scoped_fields import ScopedPrimaryKeyRelatedField, ScopedSlugRelatedField
from aftersales.api.serializers import StrictSerializer
from aftersales.models import User
from dealers.models import Dealer
from tickets import transitions
from tickets.models import (
    Attachment,
    BusinessCalendar,
    ChargeLine,
    DistanceBand,
    FollowUp,
    Loaner,
    Quotation,
    RegionZone,
    RepairOrder,
    Severity,
    SLAMetric,
    SLAPolicy,
    SLATarget,
    Ticket,
    TicketEvent,
    Timer,
    WorkLogEntry,
)
from tickets.permissions import case_actions
from tickets.rowsql import as_text, column, named
from tickets.services.repairs import RepairFacts
from warranty import coverage as warranty_coverage
from warranty.api.serializers import UnitSerialRelatedField
from warranty.models import Customer, Site, Unit
from warranty.services.units import REPAIR_ASSEMBLIES, REPAIR_SYSTEMS


class WindowEndField(serializers.TimeField):
    """A window's end: "24:00" (or "00:00") is midnight at the end of the day."""

    def to_internal_value(self, value):
        if value == "24:00":
            value = "00:00"
        return super().to_internal_value(value)


class WindowSerializer(StrictSerializer):
    weekday = serializers.IntegerField(min_value=1, max_value=7, help_text=_("ISO weekday, 1 = Monday."))
    start = serializers.TimeField(format="%H:%M", input_formats=["%H:%M"])
    end = WindowEndField(
        format="%H:%M", input_formats=["%H:%M"], help_text=_("00:00 or 24:00 is midnight at the end of the day.")
    )


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


class TimerSerializer(serializers.ModelSerializer):
    metric = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Timer
        fields = [
            "metric",
            "target_minutes",
            "due_at",
            "state",
            "met_at",
            "breached_at",
            "stopped_at",
            "business_minutes",
            "breach_minutes",
        ]


class CoveragePeriodSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    usage_limit = serializers.IntegerField(allow_null=True)
    active = serializers.BooleanField()


class CoverageSnapshotSerializer(serializers.Serializer):
    """The coverage decision at intake (schema 1)."""

    schema = serializers.IntegerField()
    serial = serializers.CharField()
    on = serializers.DateField()
    usage = serializers.IntegerField(allow_null=True)
    covered = serializers.BooleanField()
    regime = serializers.CharField()
    policy_code = serializers.CharField()
    policy_version = serializers.IntegerField(allow_null=True)
    contract_number = serializers.CharField()
    start_date = serializers.DateField(allow_null=True)
    reason_code = serializers.CharField()
    reason_message = serializers.CharField()
    registration_late = serializers.BooleanField()
    periods = CoveragePeriodSerializer(many=True)


class TicketSerializer(serializers.ModelSerializer):
    severity = serializers.SlugRelatedField(slug_field="code", read_only=True)
    unit = serializers.SlugRelatedField(slug_field="serial", read_only=True)
    customer = serializers.SlugRelatedField(slug_field="name", read_only=True)
    assigned_engineer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    serving_outlet = serializers.SlugRelatedField(slug_field="code", read_only=True)
    sla_policy = serializers.StringRelatedField()
    coverage_snapshot = CoverageSnapshotSerializer(source="coverage", allow_null=True, read_only=True)
    timers = TimerSerializer(many=True, read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "channel",
            "status",
            "work_mode",
            "reporter_name",
            "contact_phone",
            "customer",
            "unit",
            "severity",
            "category",
            "description",
            "coverage_snapshot",
            "coverage_policy_version",
            "distance_km",
            "assigned_engineer",
            "serving_outlet",
            "sla_policy",
            "reported_at",
            "created_at",
            "resolved_at",
            "closed_at",
            "version",
            "timers",
            "allowed_actions",
        ]

    def get_allowed_actions(self, ticket) -> list[str]:
        """What the case's status allows and, when the requester is known, the requester's roles too."""
        allowed = transitions.allowed_actions(ticket.status)
        request = self.context.get("request")
        if request is None:
            return allowed
        permitted = case_actions(request.user, ticket)
        return [action for action in allowed if action in permitted]


LIST_LEAVES_OUT = ("description", "coverage_snapshot")

# What a list row reads of the case table: plain columns, no model.
LIST_COLUMNS = (
    "id",
    "number",
    "channel",
    "status",
    "work_mode",
    "reporter_name",
    "contact_phone",
    "category",
    "coverage_policy_version_id",
    "distance_km",
    "assigned_engineer_id",
    "reported_at",
    "created_at",
    "resolved_at",
    "closed_at",
    "version",
)
# A timer of a list row, in the detail's fields and order (TimerSerializer); its times as the detail writes them.
TIMER_FIELDS = tuple(TimerSerializer.Meta.fields)
TIMER_TIMES = frozenset(("due_at", "met_at", "breached_at", "stopped_at"))


def list_relations() -> dict:
    """What a row names of its relations and its timers, as subqueries of the page's own statement: the
    database works them out for the page's rows only (after the sort and the limit) and the page is one
    round trip, where a join would run for every case a filter or a dealer's scope matches before the sort,
    and a query per table cost more to compile and send than to run. Written as SQL: seven ORM subqueries
    cost more to compile than the page's rows to write. The timers come as one JSON array of arrays per
    case (``TIMER_FIELDS``, in the detail's order)."""
    quote = connection.ops.quote_name
    timers, metrics = quote(Timer._meta.db_table), quote(SLAMetric._meta.db_table)
    timer_values = ", ".join(
        column(SLAMetric, "code") if name == "metric" else column(Timer, name) for name in TIMER_FIELDS
    )
    timer_rows = (
        f"SELECT jsonb_agg(jsonb_build_array({timer_values}) ORDER BY {column(Timer, 'id')}) "
        f"FROM {timers} JOIN {metrics} ON {column(SLAMetric, 'id')} = {column(Timer, 'metric')} "
        f"WHERE {column(Timer, 'ticket')} = {column(Ticket, 'id')}"
    )
    policy = f"{column(SLAPolicy, 'code')} || ' v' || {column(SLAPolicy, 'version')}"  # as SLAPolicy.__str__
    return {
        "customer_name": named(Customer, "customer", column(Customer, "name")),
        "unit_serial": named(Unit, "unit", column(Unit, "serial")),
        "severity_code": named(Severity, "severity", column(Severity, "code")),
        "engineer_username": named(User, "assigned_engineer", column(User, "username")),
        "outlet_code": named(Dealer, "serving_outlet", column(Dealer, "code")),
        "policy_label": named(SLAPolicy, "sla_policy", policy),
        "timer_rows": as_text(timer_rows),
    }


class _Case:
    """What the role rules read of a case (tickets.permissions.case_actions): whom it is assigned to."""

    __slots__ = ("assigned_engineer_id",)

    def __init__(self, assigned_engineer_id):
        self.assigned_engineer_id = assigned_engineer_id


class TicketListRowsSerializer(serializers.ListSerializer):
    """The case list's page from plain rows (``LIST_COLUMNS`` and ``list_relations()`` of one ``.values()``
    statement): the same fields, values and formats as ``TicketListSerializer`` (the schema and the detail
    use that), without a model instance or a serializer field per value — together those cost several times
    the queries behind the page. What the requester may do is worked out once per status and "assigned to
    me", not per case."""

    def to_representation(self, data):
        tz = timezone.get_current_timezone()
        parse = datetime.fromisoformat

        def when(value):
            if value is None:
                return None
            text = value.astimezone(tz).isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text

        def when_text(value):
            # A time as the database wrote it into JSON (ISO 8601 with its offset).
            return None if value is None else when(parse(value))

        request = self.context.get("request")
        user = request.user if request is not None else None
        actions: dict[tuple[str, bool], list[str]] = {}
        out = []
        for row in data:
            status = row["status"]
            engineer_id = row["assigned_engineer_id"]
            key = (status, user is not None and engineer_id == user.pk)
            allowed = actions.get(key)
            if allowed is None:
                allowed = transitions.allowed_actions(status)
                if user is not None:
                    permitted = case_actions(user, _Case(engineer_id))
                    allowed = [action for action in allowed if action in permitted]
                actions[key] = allowed
            out.append(
                {
                    "id": row["id"],
                    "number": row["number"],
                    "channel": row["channel"],
                    "status": status,
                    "work_mode": row["work_mode"],
                    "reporter_name": row["reporter_name"],
                    "contact_phone": row["contact_phone"],
                    "customer": row["customer_name"],
                    "unit": row["unit_serial"],
                    "severity": row["severity_code"],
                    "category": row["category"],
                    "coverage_policy_version": row["coverage_policy_version_id"],
                    "distance_km": row["distance_km"],
                    "assigned_engineer": row["engineer_username"],
                    "serving_outlet": row["outlet_code"],
                    "sla_policy": row["policy_label"],
                    "reported_at": when(row["reported_at"]),
                    "created_at": when(row["created_at"]),
                    "resolved_at": when(row["resolved_at"]),
                    "closed_at": when(row["closed_at"]),
                    "version": row["version"],
                    "timers": [
                        {
                            name: when_text(value) if name in TIMER_TIMES else value
                            for name, value in zip(TIMER_FIELDS, values, strict=True)
                        }
                        for values in (orjson.loads(row["timer_rows"]) if row["timer_rows"] else ())
                    ],
                    "allowed_actions": list(allowed),
                }
            )
        return out


class TicketListSerializer(TicketSerializer):
    """A row of the case list: the case without its long fields (the fault description, the coverage
    snapshot), which the detail shows. Its own name, so the schema documents the list's cursor page."""

    class Meta(TicketSerializer.Meta):
        fields = [name for name in TicketSerializer.Meta.fields if name not in LIST_LEAVES_OUT]
        list_serializer_class = TicketListRowsSerializer


class TicketCreateSerializer(StrictSerializer):
    channel = serializers.ChoiceField(choices=Ticket.Channel.choices)
    reporter_name = serializers.CharField(max_length=100)
    contact_phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    description = serializers.CharField()
    severity = serializers.CharField(max_length=32)
    category = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    # Every id, serial and code is looked up within what the requester may see (aftersales.scoping).
    # The unit with what intake reads of it (owner, site, model, warranty policy, and what its coverage reads:
    # the policy-terms stamp, its contracts, its repairs, see warranty.coverage) in the one query that finds it.
    unit = UnitSerialRelatedField(
        queryset=warranty_coverage.with_coverage_reads(
            Unit.objects.select_related("customer", "site", "product_model__policy", "policy")
        ),
        prepared_as="tickets.TicketCreateSerializer.unit",
        required=False,
        allow_null=True,
    )
    customer = ScopedPrimaryKeyRelatedField(queryset=Customer.objects.all(), required=False, allow_null=True)
    site = ScopedPrimaryKeyRelatedField(queryset=Site.objects.all(), required=False, allow_null=True)
    reported_at = serializers.DateTimeField(required=False, help_text=_("For a report taken earlier; never future."))
    distance_km = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    serving_outlet = ScopedSlugRelatedField(
        slug_field="code", queryset=Dealer.objects.filter(is_active=True), required=False, allow_null=True
    )

    def validate(self, attrs):
        site, customer, unit = attrs.get("site"), attrs.get("customer"), attrs.get("unit")
        owner = customer or (unit.customer if unit is not None else None)
        if site is not None and owner is not None and site.customer_id != owner.pk:
            raise serializers.ValidationError({"site": [_("This site belongs to another customer.")]})
        return attrs


def _when(value, zone):
    """A time as DRF's DateTimeField writes it: in the current zone, ISO 8601, ``Z`` for UTC."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class TicketCreatedSerializer(TicketSerializer):
    """The case just opened, as ``TicketSerializer`` shows it (the same fields and values; the schema and the
    detail use that one), written from what intake holds in memory — the case, its relations, its timers
    (``created_timers``) and its coverage snapshot as stored — instead of a serializer field per value."""

    def to_representation(self, ticket):
        zone = timezone.get_current_timezone()

        def slug(obj, attr):
            return None if obj is None else getattr(obj, attr)

        snapshot = ticket.coverage_snapshot or None
        if snapshot is not None:
            snapshot = {name: snapshot.get(name) for name in CoverageSnapshotSerializer._declared_fields} | {
                "periods": [
                    {name: period.get(name) for name in CoveragePeriodSerializer._declared_fields}
                    for period in snapshot.get("periods") or ()
                ]
            }
        timers = getattr(ticket, "created_timers", None)
        if timers is None:
            timers = ticket.timers.select_related("metric")
        return {
            "id": ticket.pk,
            "number": ticket.number,
            "channel": ticket.channel,
            "status": ticket.status,
            "work_mode": ticket.work_mode,
            "reporter_name": ticket.reporter_name,
            "contact_phone": ticket.contact_phone,
            "customer": slug(ticket.customer, "name"),
            "unit": slug(ticket.unit, "serial"),
            "severity": slug(ticket.severity, "code"),
            "category": ticket.category,
            "description": ticket.description,
            "coverage_snapshot": snapshot,
            "coverage_policy_version": ticket.coverage_policy_version_id,
            "distance_km": ticket.distance_km,
            "assigned_engineer": slug(ticket.assigned_engineer, "username"),
            "serving_outlet": slug(ticket.serving_outlet, "code"),
            "sla_policy": None if ticket.sla_policy is None else str(ticket.sla_policy),
            "reported_at": _when(ticket.reported_at, zone),
            "created_at": _when(ticket.created_at, zone),
            "resolved_at": _when(ticket.resolved_at, zone),
            "closed_at": _when(ticket.closed_at, zone),
            "version": ticket.version,
            "timers": [
                {
                    "metric": slug(timer.metric, "code"),
                    "target_minutes": timer.target_minutes,
                    "due_at": _when(timer.due_at, zone),
                    "state": timer.state,
                    "met_at": _when(timer.met_at, zone),
                    "breached_at": _when(timer.breached_at, zone),
                    "stopped_at": _when(timer.stopped_at, zone),
                    "business_minutes": timer.business_minutes,
                    "breach_minutes": timer.breach_minutes,
                }
                for timer in timers
            ],
            "allowed_actions": self.get_allowed_actions(ticket),
        }


class VersionedSerializer(StrictSerializer):
    """Every change of a case carries the version the client read: missing is 400, stale is 412."""

    version = serializers.IntegerField(
        min_value=1, max_value=2147483647, help_text=_("The version of the case you read; a stale one gets 412.")
    )


class TransitionSerializer(VersionedSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class MainPartReplacedSerializer(StrictSerializer):
    system = serializers.ChoiceField(choices=REPAIR_SYSTEMS)
    part = serializers.CharField(max_length=64)


class ResolveSerializer(TransitionSerializer):
    """The engineer's repair report: it becomes the unit's repair record (its 三包 history)."""

    problem_code = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default="", help_text=_("Required for a case on a unit.")
    )
    quality_problem = serializers.BooleanField(
        default=True, help_text=_("False: misuse or another excluded cause (not counted for 三包).")
    )
    serious_safety = serializers.BooleanField(default=False)
    component = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    assemblies_replaced = serializers.ListField(child=serializers.ChoiceField(choices=REPAIR_ASSEMBLIES), default=list)
    main_parts_replaced = MainPartReplacedSerializer(many=True, default=list)
    excluded_hours = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        min_value=Decimal(0),
        default=Decimal(0),
        help_text=_("Transport of special parts or batteries, roadside-rescue travel: not repair time."),
    )
    usage = serializers.IntegerField(min_value=0, max_value=2147483647, required=False, allow_null=True)
    repair_agreed_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text=_("Default: the approved quotation, else the report of the case.")
    )
    handed_in_at = serializers.DateTimeField(required=False, allow_null=True)
    findings = serializers.CharField(required=False, allow_blank=True, default="")
    work_done = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        repair = {name: attrs.pop(name) for name in list(attrs) if name in RepairFacts.__dataclass_fields__}
        repair["assemblies_replaced"] = tuple(repair.get("assemblies_replaced", ()))
        repair["main_parts_replaced"] = tuple(dict(item) for item in repair.get("main_parts_replaced", ()))
        attrs["repair"] = RepairFacts(**repair)
        return attrs


class AssignSerializer(TransitionSerializer):
    # A dealer's people assign among the dealer's own engineers; anyone else reads as unknown.
    engineer = ScopedSlugRelatedField(slug_field="username", queryset=User.objects.filter(is_active=True))


class SeverityChangeSerializer(VersionedSerializer):
    severity = serializers.CharField(max_length=32)


class TicketEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = TicketEvent
        fields = ["id", "kind", "actor", "from_state", "to_state", "data", "at"]


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "kind", "original_name", "content_type", "size", "uploaded_at", "file"]


class AttachmentUploadSerializer(StrictSerializer):
    file = serializers.FileField()


class WorkLogSerializer(serializers.ModelSerializer):
    engineer = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = WorkLogEntry
        fields = ["id", "kind", "engineer", "appointment_at", "started_at", "ended_at", "summary", "created_at"]


class WorkLogCreateSerializer(StrictSerializer):
    kind = serializers.ChoiceField(
        choices=[WorkLogEntry.Kind.CALL, WorkLogEntry.Kind.REMOTE, WorkLogEntry.Kind.VISIT, WorkLogEntry.Kind.NOTE],
        help_text=_("A visit here is a booking (appointment); arrival is check-in."),
    )
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    appointment_at = serializers.DateTimeField(required=False, allow_null=True)
    started_at = serializers.DateTimeField(required=False, allow_null=True)
    ended_at = serializers.DateTimeField(required=False, allow_null=True)


class ChargeLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChargeLine
        fields = [
            "id",
            "kind",
            "description",
            "part_number",
            "serial",
            "quantity",
            "unit_price",
            "amount",
            "charged",
            "created_at",
        ]


class ChargeLineCreateSerializer(StrictSerializer):
    """A part or labour line; quotation lines are the same."""

    kind = serializers.ChoiceField(choices=ChargeLine.Kind.choices)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    part_number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    serial = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    quantity = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=Decimal("0.01"))
    unit_price = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        help_text=_("Default: the price list for parts, the policy's labour rate for labour."),
    )

    def validate(self, attrs):
        if attrs["kind"] == ChargeLine.Kind.PART and not attrs["part_number"] and attrs.get("unit_price") is None:
            raise serializers.ValidationError({"part_number": [_("A part needs its part number or a price.")]})
        if attrs["kind"] == ChargeLine.Kind.LABOUR and not attrs["description"] and self.needs_description:
            raise serializers.ValidationError({"description": [_("Say what labour was done.")]})
        return attrs

    needs_description = True


class RepairOrderSerializer(serializers.ModelSerializer):
    class Meta:
        model = RepairOrder
        fields = ["findings", "work_done", "total_charged", "signer_name", "signed_at", "signature"]


class RepairOrderSignSerializer(VersionedSerializer):
    findings = serializers.CharField()
    work_done = serializers.CharField()
    signer_name = serializers.CharField(max_length=100)
    signature = serializers.CharField(help_text=_("The drawn signature as a data:image/png;base64 URL."))


class QuotationLineSerializer(ChargeLineCreateSerializer):
    needs_description = False


class QuotationCreateSerializer(VersionedSerializer):
    lines = QuotationLineSerializer(many=True, allow_empty=False)


class QuotationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Quotation
        fields = ["id", "status", "lines", "total", "created_at", "decided_at", "decided_by_name"]


class QuotationDecisionSerializer(VersionedSerializer):
    approved = serializers.BooleanField()
    customer_name = serializers.CharField(max_length=100)


class LoanerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Loaner
        fields = ["id", "description", "serial", "lent_at", "returned_at"]


class LoanerCreateSerializer(VersionedSerializer):
    description = serializers.CharField(max_length=200)
    serial = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class LoanerReturnSerializer(VersionedSerializer):
    loaner = serializers.IntegerField()


class EscalateSerializer(VersionedSerializer):
    plan = serializers.CharField(help_text=_("The emergency plan agreed with the customer."))


class PolicyChangeSerializer(VersionedSerializer):
    policy = serializers.PrimaryKeyRelatedField(queryset=SLAPolicy.objects.all())


class FollowUpSerializer(serializers.ModelSerializer):
    ticket = serializers.SlugRelatedField(slug_field="number", read_only=True)
    ticket_version = serializers.IntegerField(
        source="ticket.version", read_only=True, help_text=_("Send it as version when completing the call.")
    )
    done_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "ticket",
            "ticket_version",
            "resolved_at",
            "due_at",
            "status",
            "done_at",
            "done_by",
            "attitude",
            "quality",
            "solved",
            "runs_normally",
            "comments",
            "complaint",
        ]


class FollowUpCompleteSerializer(VersionedSerializer):
    attitude = serializers.IntegerField(min_value=1, max_value=5)
    quality = serializers.IntegerField(min_value=1, max_value=5)
    solved = serializers.IntegerField(min_value=1, max_value=5)
    runs_normally = serializers.BooleanField()
    comments = serializers.CharField(required=False, allow_blank=True, default="")


class ComplaintAnswerSerializer(VersionedSerializer):
    answer = serializers.CharField()
