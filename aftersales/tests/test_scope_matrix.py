"""Route × role × dealer: nothing of dealer B ever reaches dealer A, and no write of A touches B's rows.

The routes are enumerated, not listed: every operation of the OpenAPI schema and every page of the URLconf.
Path parameters are filled from what the route serves (a viewset's model, or the noun before the parameter
in a page's path), request bodies from the operation's own serializer — every related field gets dealer B's
object. Each route is called as a member of dealer A holding each role in turn (an outlet's engineer is a
dealer member too), and as dealer B's staff against dealer A. For every call:

- no marker of the other dealer (names, phones, addresses, serials, numbers, ids) is in the answer, apart
  from what the caller itself sent;
- naming the other dealer's object answers exactly like naming one that does not exist;
- afterwards every row of the other dealer, and every row pointing at one, is unchanged.

A route whose parameter the matrix cannot fill fails the test (it names the route) rather than being skipped.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.settings import spectacular_settings
from rest_framework import serializers
from rest_framework.test import APIClient

from aftersales.roles import Role
from aftersales.scoping import dealer_condition
from claims.models import Claim, ClaimAttachment, ClaimLine, ReturnBatch, SettlementStatement
from dealers.models import Dealer, DealerMember
from tickets.models import EarlyWarning, EarlyWarningRule, FollowUp, Loaner, Notification, Ticket, Visit, VisitPlan
from tickets.services import billing
from tickets.services import work as work_services
from tickets.services.tickets import ticket_create, ticket_transition
from warranty.models import (
    Contact,
    Customer,
    RepairRecord,
    Site,
    Unit,
    UnitImport,
    UnitImportError,
)

pytestmark = pytest.mark.django_db

ID_BASE = {"a": 5_100_000, "b": 5_200_000}
MARK = {"a": "ALPHA", "b": "BRAVO"}
NOWHERE = 5_900_000  # ids no row has
API_PREFIX = "/api/v1/"
PAGE_SKIP = ("admin", "api", "api-schema", "api-docs", "logout", "set_language", "login", "healthz")


class World(dict):
    """One dealer's objects, and the strings that would betray them."""

    @property
    def markers(self) -> set[str]:
        m, base = self["mark"], self["base"]
        found = {m, self["ticket"].number, self["unit"].serial, self["customer"].phone, self["contact"].phone}
        found |= {str(base + n) for n in range(1, 9)}
        # Claims in every state, the return batch and the statement (numbers are the product's own).
        found |= {claim.number for claim in self["claims"].values()}
        found |= {self["return_batch"].number, self["statement"].number}
        return found


def build_world(key: str, *, desk, product_model, plan, claims_staff) -> World:
    mark, base = MARK[key], ID_BASE[key]
    now = timezone.now()
    dealer = Dealer.objects.create(pk=base, code=f"D-{mark}", name=f"{mark}经销商", city=f"{mark}市")
    staff = _member(f"{mark.lower()}_staff", Role.DEALER_STAFF, dealer)
    engineer = _member(f"{mark.lower()}_engineer", Role.ENGINEER, dealer)
    customer = Customer.objects.create(pk=base + 1, name=f"{mark}客户", phone=f"1390{base}", created_at=now)
    contact = Contact.objects.create(pk=base + 2, customer=customer, name=f"{mark}联系人", phone=f"1380{base}")
    site = Site.objects.create(
        pk=base + 3, customer=customer, name=f"{mark}-SITE", address=f"{mark} 大道 {base} 号", province="江苏"
    )
    unit = Unit.objects.create(
        pk=base + 4,
        serial=f"SN-{mark}-1",
        product_model=product_model,
        customer=customer,
        site=site,
        selling_dealer=dealer,
        invoice_date=date(2026, 6, 1),
        usage_reading=1000,
        registered_at=now,
    )
    ticket = ticket_create(
        actor=desk,
        channel="dealer",
        reporter_name=f"{mark}报修人",
        contact_phone=f"1370{base}",
        description=f"{mark}-FAULT",
        severity="major",
        unit=unit,
        serving_outlet=dealer,
    )
    ticket = ticket_transition(ticket=ticket, action="assign", actor=desk, engineer=engineer)
    work_services.worklog_add(ticket=ticket, actor=engineer, kind="call", summary=f"{mark}-LOG")
    work_services.charge_line_add(
        ticket=ticket,
        actor=engineer,
        kind="labour",
        description=f"{mark}-LABOUR",
        quantity=Decimal(1),
        unit_price=Decimal(50),
    )
    loaner = billing.loaner_issue(ticket=ticket, actor=engineer, description=f"{mark}-LOANER")
    followup = FollowUp.objects.create(pk=base + 5, ticket=ticket, resolved_at=now, due_at=now + timedelta(days=3))
    visit = Visit.objects.create(
        pk=base + 6,
        plan=plan,
        unit=unit,
        slot=f"{mark}-1",
        kind="onsite",
        due_on=date.today(),
        outlet=dealer,
        created_at=now,
    )
    repair = RepairRecord.objects.create(
        pk=base + 7,
        unit=unit,
        confirmed_at=now - timedelta(days=30),
        fault_description=f"{mark}-REPAIR",
        created_at=now,
    )
    job = UnitImport(pk=base + 8, original_name=f"{mark}.csv", uploaded_by=staff, dealer=dealer, created_at=now)
    job.file.save(f"{mark}.csv", ContentFile(b"serial,model\n"), save=True)
    UnitImportError.objects.create(unit_import=job, row=2, code="x", message=f"{mark}-IMPORT-ERROR")
    note = Notification.objects.create(
        recipient=staff, kind="escalation", title=f"{mark}-NOTE", ticket=ticket, created_at=now
    )
    claims_world = build_claims(mark, dealer=dealer, staff=staff, unit=unit, claims_staff=claims_staff)
    return World(
        key=key,
        mark=mark,
        base=base,
        dealer=dealer,
        staff=staff,
        engineer=engineer,
        customer=customer,
        contact=contact,
        site=site,
        unit=unit,
        ticket=ticket,
        loaner=loaner,
        followup=followup,
        visit=visit,
        repair=repair,
        job=job,
        note=note,
        **claims_world,
    )


def manufacturer_rows(product_model) -> None:
    """Rows that belong to no dealer (the manufacturer's quality review), which no dealer may read."""
    now = timezone.now()
    rule = EarlyWarningRule.objects.create(name="matrix", threshold=1)
    EarlyWarning.objects.create(
        rule=rule,
        product_model=product_model,
        problem_code="MATRIX",
        window="month",
        period_start=date(2026, 11, 1),
        period_end=date(2026, 12, 1),
        count=3,
        history_windows=6,
        threshold=1,
        over_threshold=True,
        raised_at=now,
        updated_at=now,
    )


CLAIM_STATES = ("draft", "submitted", "returned", "approved", "partly_approved", "rejected", "appealed", "withdrawn")


def build_claims(mark: str, *, dealer, staff, unit, claims_staff) -> dict:
    """The dealer's claims in every state (with a photo each), a return batch with a received part, an
    issued statement and a debit on its account — all made through the services."""
    from claims.services import claims as claim_services
    from claims.services import returns as return_services
    from claims.services import review, settlement

    reviewer, second, finance = claims_staff["reviewer"], claims_staff["second"], claims_staff["finance"]
    Dealer.objects.filter(pk=dealer.pk).update(labour_rate=Decimal("60.00"))
    dealer.refresh_from_db()
    operation, _part = claims_staff["operation"], claims_staff["part"]
    now = timezone.now()
    claims = {}
    for index, state in enumerate(CLAIM_STATES):
        claim, _created = claim_services.claim_create(
            actor=staff,
            unit=unit,
            claim_type=claims_staff["type"],
            problem_code=f"{mark}-P{index}",
            fault_description=f"{mark}-CLAIM-{state}",
            fault_date=(now - timedelta(days=3)).date(),
            repair_agreed_at=now - timedelta(days=3),
            repair_completed_at=now - timedelta(days=2),
            usage=1200,
            lines=[
                {"kind": "labour", "operation": operation, "hours": Decimal("1.00")},
                {"kind": "part", "part_number": "P-MATRIX", "quantity": Decimal(1), "old_part_serial": f"{mark}-OLD"},
                {"kind": "other", "cost_kind": "towing", "amount": Decimal("30.00"), "description": f"{mark}-TOW"},
            ],
        )
        claim_services.claim_attachment_add(
            claim=claim,
            actor=staff,
            kind="photo",
            file=ContentFile(b"\x89PNG\r\n\x1a\n" + b"0" * 32, name=f"{mark}-photo.png"),
        )
        claim.refresh_from_db()
        if state == "draft":
            claims[state] = claim
            continue
        if state == "withdrawn":
            claims[state] = claim_services.claim_withdraw(claim=claim, actor=staff, expected_version=claim.version)
            continue
        claim = claim_services.claim_submit(claim=claim, actor=staff, expected_version=claim.version)
        if state == "returned":
            claim = review.claim_return(claim=claim, actor=reviewer, expected_version=claim.version, note=f"{mark}-ASK")
        elif state != "submitted":
            lines = list(claim.lines.order_by("position"))
            verdicts = {
                "approved": ["approve", "approve", "approve"],
                "partly_approved": ["approve", "approve", "reject"],
                "rejected": ["reject", "reject", "reject"],
                "appealed": ["approve", "approve", "reject"],
            }[state]
            claim = review.claim_decide(
                claim=claim,
                actor=reviewer,
                expected_version=claim.version,
                decisions=[
                    {"line": line.pk, "decision": verdict, "reason": "missing_documents"}
                    for line, verdict in zip(lines, verdicts, strict=True)
                ],
            )
            if state == "appealed":
                claim = review.claim_appeal(
                    claim=claim, actor=staff, expected_version=claim.version, reason=f"{mark}-APPEAL"
                )
        claims[state] = claim
    approved = claims["approved"]
    part_line = approved.lines.get(kind="part")
    batch = return_services.return_ship(
        actor=staff, carrier=f"{mark}-CARRIER", tracking_number=f"{mark}-TRACK", lines=[part_line]
    )
    return_services.return_receive(batch=batch, actor=reviewer)
    return_services.return_appraise(item=batch.items.get(), actor=reviewer, appraisal="usable")
    settlement.account_post(
        actor=finance, dealer=dealer, kind="debit", amount=Decimal("12.00"), description=f"{mark}-DEBIT"
    )
    statement = settlement.settlement_issue(actor=finance, dealer=dealer, period_end=timezone.localdate())
    assert second is not None
    submitted = claims["submitted"]
    return {
        "claims": claims,
        "claim": submitted,
        "line": submitted.lines.get(kind="part"),
        "attachment": submitted.attachments.first(),
        "return_batch": batch,
        "statement": statement,
    }


def _member(username, role, dealer):
    from aftersales.tests.factories import UserFactory

    user = UserFactory(username=username, role=role)
    DealerMember.objects.create(user=user, dealer=dealer)
    return user


# --- what the other dealer owns, before and after -------------------------------------------------------


def owned_rows(world: World) -> list[models.Model]:
    """Every row of every dealer-scoped model that belongs to the world's dealer."""
    from aftersales.scoping import _rules

    rows = []
    for model in _rules:
        rows += list(model._default_manager.filter(dealer_condition(model, world["dealer"].pk)).order_by("pk"))
    return rows


def fingerprint(world: World) -> dict:
    """Each owned row's columns and the rows that point at it."""
    state = {}
    for row in owned_rows(world):
        values = {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}
        for relation in row._meta.related_objects:
            accessor = relation.get_accessor_name()
            if accessor is None or relation.related_model._meta.label.startswith(("auth.", "admin.")):
                continue
            if relation.one_to_one:
                values[accessor] = getattr(row, accessor).pk if hasattr(row, accessor) else None
            else:
                values[accessor] = sorted(getattr(row, accessor).values_list("pk", flat=True))
        state[(row._meta.label, row.pk)] = values
    return state


# --- filling routes ---------------------------------------------------------------------------------------


def value_for_model(model, world: World, field_name: str | None = None):
    """The world's object of ``model``, as the lookup field names it."""
    candidates = {
        Ticket: world["ticket"],
        Unit: world["unit"],
        Customer: world["customer"],
        Site: world["site"],
        Dealer: world["dealer"],
        Visit: world["visit"],
        FollowUp: world["followup"],
        Loaner: world["loaner"],
        UnitImport: world["job"],
        Notification: world["note"],
        RepairRecord: world["repair"],
        Contact: world["contact"],
        Claim: world["claim"],
        ClaimLine: world["line"],
        ClaimAttachment: world["attachment"],
        ReturnBatch: world["return_batch"],
        SettlementStatement: world["statement"],
    }
    from django.contrib.auth import get_user_model

    candidates[get_user_model()] = world["engineer"]
    obj = candidates.get(model)
    if obj is None:
        return None
    return getattr(obj, field_name) if field_name else obj.pk


def sample(field: serializers.Field, world: World, depth: int = 0):
    """A value for an input field: the world's object for every related field, something plausible else."""
    if isinstance(field, serializers.ManyRelatedField):
        return [sample(field.child_relation, world, depth)]
    if isinstance(field, serializers.RelatedField):
        queryset = field.queryset if field.queryset is not None else None
        model = queryset.model if queryset is not None else None
        slug = getattr(field, "slug_field", None)
        value = value_for_model(model, world, slug) if model is not None else None
        if value is not None:
            return value
        first = queryset.order_by("pk").first() if queryset is not None else None
        return getattr(first, slug or "pk") if first is not None else 1
    if isinstance(field, serializers.ListSerializer):
        return [sample_body(field.child, world, depth + 1)] if depth < 3 else []
    if isinstance(field, serializers.Serializer):
        return sample_body(field, world, depth + 1) if depth < 3 else {}
    if isinstance(field, serializers.ListField):
        return []
    if isinstance(field, serializers.DictField | serializers.JSONField):
        return {}
    if isinstance(field, serializers.BooleanField):
        return True
    if isinstance(field, serializers.ChoiceField):
        return next(iter(field.choices), "")
    if isinstance(field, serializers.DateTimeField):
        return (timezone.now() - timedelta(hours=1)).isoformat()
    if isinstance(field, serializers.DateField):
        return "2026-07-01"
    if isinstance(field, serializers.TimeField):
        return "09:00"
    if isinstance(field, serializers.IntegerField):
        return field.min_value if field.min_value is not None else 1
    if isinstance(field, serializers.DecimalField | serializers.FloatField):
        return "1"
    if isinstance(field, serializers.FileField):
        return None
    if field.field_name == "version":
        return 1
    return "x-input"


# Plain fields whose value must be one the product knows, so that a body is valid apart from what is probed.
KNOWN_VALUES = {"severity": "major", "channel": "phone", "kind": "call", "timezone": "Asia/Shanghai"}


def sample_body(serializer, world: World, depth: int = 0) -> dict:
    body = {}
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        value = KNOWN_VALUES.get(name) if name in KNOWN_VALUES else sample(field, world, depth)
        if value is not None:
            body[name] = value
    return body


def related_fields(serializer) -> dict[str, serializers.Field]:
    """Input fields that name a dealer's object (references to shared configuration are left alone)."""
    from aftersales.scoping import _rules

    found = {}
    for name, field in serializer.fields.items():
        relation = field.child_relation if isinstance(field, serializers.ManyRelatedField) else field
        if field.read_only or not isinstance(relation, serializers.RelatedField):
            continue
        if relation.queryset is not None and relation.queryset.model in _rules:
            found[name] = field
    return found


def body_variants(serializer, own: World, theirs: World):
    """(field, body naming the other dealer's object, body naming an unknown one): one related field at a
    time, in a body that is otherwise the caller's own (other optional references left out, so that nothing
    but the probed field can make it invalid)."""
    base = sample_body(serializer, own)
    related = related_fields(serializer)
    for name, field in related.items():
        body = {key: value for key, value in base.items() if key not in related or key == name}
        body.update({key: base[key] for key, other in related.items() if other.required and key in base})
        foreign = dict(body, **{name: sample(field, theirs)})
        unknown = dict(body, **{name: unknown_value(field)})
        yield name, foreign, unknown


def unknown_value(field):
    if isinstance(field, serializers.ManyRelatedField):
        return [unknown_value(field.child_relation)]
    slug = getattr(field, "slug_field", None)
    return "NOBODY-1" if slug else NOWHERE


def with_current_version(body: dict | None, url: str, own: World) -> dict | None:
    """Writes carry the version the caller last read, so that a stale version does not hide the probe."""
    if not body or "version" not in body:
        return body
    if "/units/" in url:
        body = dict(body, version=Unit.objects.get(pk=own["unit"].pk).version)
    elif "/tickets/" in url:
        body = dict(body, version=Ticket.objects.get(pk=own["ticket"].pk).version)
    elif "/claims/" in url:
        body = dict(body, version=Claim.objects.get(pk=own["claim"].pk).version)
    elif "/settlements/" in url:
        body = dict(body, version=SettlementStatement.objects.get(pk=own["statement"].pk).version)
    return body


def api_operations():
    """(method, path template, view) of every operation in the schema, with its request serializer."""
    generator = SchemaGenerator()
    generator._initialise_endpoints()
    operations = []
    for path, regex, method, view in generator._get_paths_and_endpoints():
        if not path.startswith(API_PREFIX):
            continue
        view.request = spectacular_settings.GET_MOCK_REQUEST(method, path, view, None)
        view.schema.get_operation(path, regex, "^" + API_PREFIX, method, generator.registry)
        request_serializer = None
        if method in ("POST", "PUT", "PATCH"):
            request_serializer = view.schema.get_request_serializer()
            if isinstance(request_serializer, dict):
                request_serializer = next(iter(request_serializer.values()))
            if isinstance(request_serializer, type):
                request_serializer = request_serializer()
        operations.append((method, path, view, request_serializer))
    return operations


def dealer_owned(path: str, view) -> bool:
    """The path names a dealer's object (not configuration shared by everyone)."""
    from aftersales.scoping import _rules

    if "{serial}" in path:
        return True
    queryset = getattr(view, "queryset", None)
    return queryset is not None and queryset.model in _rules


def fill_api_path(path: str, view, world: World | None) -> str:
    """The path with its parameters naming the world's object (None: an object that does not exist)."""

    def replace(match):
        name = match.group(1)
        if name == "serial":
            return world["unit"].serial if world else "SN-NOBODY-1"
        queryset = getattr(view, "queryset", None)
        assert queryset is not None, f"{path}: cannot tell what {{{name}}} names; give the view a queryset"
        if world is None:
            return str(NOWHERE)
        value = value_for_model(queryset.model, world)
        if value is None:
            # Configuration shared by everyone (calendars, policies): any row.
            first = queryset.model._default_manager.order_by("pk").first()
            assert first is not None, f"{path}: no {queryset.model.__name__} row to name"
            value = first.pk
        return str(value)

    return re.sub(r"\{(\w+)\}", replace, path)


PAGE_NOUNS = {
    "cases": Ticket,
    "visits": Visit,
    "followups": FollowUp,
    "inbox": Notification,
    "imports": UnitImport,
    "loaners": Loaner,
    "units": Unit,
    "warnings": EarlyWarning,
    "claims": Claim,
    "returns": ReturnBatch,
    "statements": SettlementStatement,
    "attachments": ClaimAttachment,
    "accounts": Dealer,
}
PAGE_SLUGS = {"action": "resolve", "what": "worklog", "key": "sla", "extension": "csv"}


def page_routes():
    """(url name, route string, kwarg names) of every named page outside the API and the admin."""
    found = []

    def walk(patterns, prefix="", namespace=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if str(entry.pattern).startswith(("admin/", "api/")):
                    continue
                ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, prefix + str(entry.pattern), ns)
            elif isinstance(entry, URLPattern) and entry.name:
                name = namespace + entry.name
                if entry.name in PAGE_SKIP or name in PAGE_SKIP:
                    continue
                route = prefix + str(entry.pattern)
                found.append((name, route, list(entry.pattern.converters)))

    walk(get_resolver().url_patterns)
    return found


def fill_page(name: str, route: str, kwargs: list[str], world: World | None) -> str:
    values = {}
    for kwarg in kwargs:
        if kwarg in PAGE_SLUGS:
            values[kwarg] = PAGE_SLUGS[kwarg]
            continue
        before = route.split("<")[0] if kwarg == kwargs[0] else route.split(f":{kwarg}>")[0]
        noun = [part for part in re.sub(r"<[^>]+>", "", before).split("/") if part][-1]
        if kwarg.endswith("_pk"):
            noun = kwarg[: -len("_pk")] + "s"
        model = PAGE_NOUNS.get(noun)
        assert model is not None, f"page {name} ({route}): add what <{kwarg}> after '{noun}/' names to PAGE_NOUNS"
        if world is None:
            values[kwarg] = "SN-NOBODY-1" if kwarg == "serial" else NOWHERE
        else:
            value = value_for_model(model, world, "serial" if kwarg == "serial" else None)
            # A row no dealer owns (the manufacturer's own): any one of them.
            values[kwarg] = value if value is not None else model._default_manager.order_by("pk").first().pk
    return reverse(name, kwargs=values)


def page_body(world: World, own: World) -> dict:
    return {
        "version": own["ticket"].version,
        "engineer": world["engineer"].pk,
        "serial": world["unit"].serial,
        "selling_dealer": world["dealer"].pk,
        "customer": world["customer"].pk,
        "site": world["site"].pk,
        "customer_name": world["customer"].name,
        "reporter_name": "x",
        "description": "x",
        "channel": "phone",
        "severity": "major",
        "product_model": own["unit"].product_model_id,
        "kind": "call",
        "summary": "x",
    }


# --- the matrix -------------------------------------------------------------------------------------------


def leaked(text: str, theirs: World, sent: str) -> list[str]:
    """Markers of the other dealer in an answer, except those the caller itself sent."""
    return sorted(marker for marker in theirs.markers if marker in text and marker not in sent)


def same_answer(foreign, unknown, theirs_value: str, unknown_value: str) -> bool:
    if foreign.status_code != unknown.status_code:
        return False
    content_type = foreign.get("Content-Type", "")
    if not content_type.startswith("application/json"):
        return True
    return foreign.content.decode().replace(theirs_value, unknown_value) == unknown.content.decode()


def call(client, method: str, url: str, body, *, multipart: bool = False):
    method = method.lower()
    if method in ("get", "delete"):
        return getattr(client, method)(url)
    if multipart:
        return getattr(client, method)(url, body, format="multipart")
    return getattr(client, method)(url, body, format="json")


@pytest.fixture
def worlds(desk_user, car_model, make_user):
    from claims.models import ClaimType, FlatRate, LabourOperation
    from warranty.models import PartPrice

    plan = VisitPlan.objects.create(code="matrix", name="matrix", onsite_per_year=1)
    manufacturer_rows(car_model)
    # Shared by both dealers (reference data carries no dealer's marker).
    operation = LabourOperation.objects.create(code="OP-MATRIX", description="matrix operation")
    FlatRate.objects.create(operation=operation, product_model=car_model, hours=Decimal("2.00"))
    part = PartPrice.objects.create(
        part_number="P-MATRIX", name="matrix part", price=Decimal("99.00"), valid_from=date(2020, 1, 1)
    )
    claims_staff = {
        "reviewer": make_user(Role.CLAIMS_REVIEWER, username="maker_reviewer"),
        "second": make_user(Role.CLAIMS_REVIEWER, username="maker_reviewer_2"),
        "finance": make_user(Role.FINANCE, username="maker_finance"),
        "operation": operation,
        "part": part,
        "type": ClaimType.objects.get(code="repair"),
    }
    return {
        key: build_world(key, desk=desk_user, product_model=car_model, plan=plan, claims_staff=claims_staff)
        for key in ("a", "b")
    }


def callers(worlds, make_user):
    """(user, own world, other world): A's members in every role, and B's staff."""
    result = []
    for role in Role:
        user = make_user(role, username=f"alpha_as_{role.value}")
        DealerMember.objects.create(user=user, dealer=worlds["a"]["dealer"])
        result.append((user, worlds["a"], worlds["b"]))
    result.append((worlds["b"]["staff"], worlds["b"], worlds["a"]))
    return result


def test_api_routes_never_show_or_touch_another_dealers_data(worlds, make_user):
    operations = api_operations()
    assert len(operations) > 50  # the schema was read, not an empty list
    problems = api_problems(callers(worlds, make_user), operations)
    assert not problems, "\n".join(problems[:40])


def api_problems(users, operations, *, rows: bool = True) -> list[str]:
    """Every operation called as every caller: what leaked, what differed from an unknown object, what changed."""
    problems = []
    for user, own, theirs in users:
        before = fingerprint(theirs) if rows else None
        client = APIClient()
        client.force_authenticate(user)
        for method, path, view, request_serializer in operations:
            multipart = "multipart" in str(getattr(view, "parser_classes", ""))
            body = sample_body(request_serializer, theirs) if request_serializer is not None else None
            targets = [("own", fill_api_path(path, view, own))]
            if "{" in path:
                targets.append(("theirs", fill_api_path(path, view, theirs)))
            for kind, url in targets:
                response = call(client, method, url, body, multipart=multipart)
                sent = url + json.dumps(body, default=str)
                where = f"{user.username} {method} {url} ({kind}) -> {response.status_code}"
                if response.status_code >= 500:
                    problems.append(f"{where}: server error")
                found = leaked(response.content.decode(errors="replace"), theirs, sent)
                if found:
                    problems.append(f"{where}: shows {found}")
            if request_serializer is not None:
                own_url = fill_api_path(path, view, own)
                for name, foreign_body, unknown_body in body_variants(request_serializer, own, theirs):
                    foreign = call(
                        client, method, own_url, with_current_version(foreign_body, own_url, own), multipart=multipart
                    )
                    unknown = call(
                        client, method, own_url, with_current_version(unknown_body, own_url, own), multipart=multipart
                    )
                    sent = json.dumps(foreign_body, default=str)
                    found = leaked(foreign.content.decode(errors="replace"), theirs, sent)
                    if found or foreign.status_code >= 500:
                        problems.append(
                            f"{user.username} {method} {own_url} {name}=theirs -> {foreign.status_code} {found}"
                        )
                    if foreign.status_code < 400 or foreign.status_code != unknown.status_code:
                        problems.append(
                            f"{user.username} {method} {own_url} {name}: theirs {foreign.status_code} vs unknown "
                            f"{unknown.status_code}: {foreign.content[:300]!r}"
                        )
            if "{" in path and dealer_owned(path, view):
                foreign_url, unknown_url = fill_api_path(path, view, theirs), fill_api_path(path, view, None)
                foreign = call(client, method, foreign_url, body, multipart=multipart)
                unknown = call(client, method, unknown_url, body, multipart=multipart)
                theirs_value = foreign_url.split("/")[4]
                unknown_value = unknown_url.split("/")[4]
                if not same_answer(foreign, unknown, theirs_value, unknown_value):
                    problems.append(
                        f"{user.username} {method} {path}: theirs {foreign.status_code} vs unknown "
                        f"{unknown.status_code}: {foreign.content[:200]!r} / {unknown.content[:200]!r}"
                    )
            # List filters naming the other dealer's objects find nothing of theirs.
            if method == "GET" and "{" not in path:
                for value in (theirs["unit"].serial, theirs["customer"].pk, theirs["dealer"].code, theirs["mark"]):
                    query = "&".join(f"{p}={value}" for p in ("q", "unit", "customer", "dealer", "outlet", "engineer"))
                    response = client.get(f"{fill_api_path(path, view, own)}?{query}")
                    found = leaked(response.content.decode(errors="replace"), theirs, query)
                    if found or response.status_code >= 500:
                        problems.append(f"{user.username} GET {path}?{query} -> {response.status_code} {found}")
        if rows and fingerprint(theirs) != before:
            problems.append(f"{user.username}: changed rows of {theirs['mark']}")
    return problems


def test_pages_never_show_or_touch_another_dealers_data(worlds, make_user, client):
    routes = page_routes()
    assert any(name == "tickets:detail" for name, _route, _kwargs in routes)
    problems = page_problems(callers(worlds, make_user), routes, client)
    assert not problems, "\n".join(problems[:40])


@pytest.mark.parametrize("section", ["quality", "claims", "scorecard"])
def test_every_dashboard_section_never_shows_another_dealers_data(worlds, make_user, client, monkeypatch, section):
    """The dashboard pages and exports are one route each; the page test above fills them with the SLA
    section. The other sections (the claims figures and the dealer scorecard among them), every role."""
    monkeypatch.setitem(PAGE_SLUGS, "key", section)
    routes = [route for route in page_routes() if route[0] in ("dashboards:section", "dashboards:export")]
    assert len(routes) == 2
    problems = page_problems(callers(worlds, make_user), routes, client)
    assert not problems, "\n".join(problems[:40])


def page_problems(users, routes, client, *, rows: bool = True) -> list[str]:
    """Every page, GET and POST, as every caller: what leaked, what differed from an unknown object."""
    problems = []
    for user, own, theirs in users:
        before = fingerprint(theirs) if rows else None
        client.force_login(user)
        for name, route, kwargs in routes:
            for method in ("get", "post"):
                urls = [("own", fill_page(name, route, kwargs, own))]
                if kwargs:
                    urls.append(("theirs", fill_page(name, route, kwargs, theirs)))
                body = page_body(theirs, own) if method == "post" else None
                for kind, url in urls:
                    response = getattr(client, method)(url, body) if body else getattr(client, method)(url)
                    sent = url + json.dumps(body or {}, default=str)
                    where = f"{user.username} {method.upper()} {url} ({kind}) -> {response.status_code}"
                    if response.status_code >= 500:
                        problems.append(f"{where}: server error")
                    found = leaked(response.content.decode(errors="replace"), theirs, sent)
                    if found:
                        problems.append(f"{where}: shows {found}")
                if kwargs and any(k not in PAGE_SLUGS for k in kwargs):
                    foreign = getattr(client, method)(fill_page(name, route, kwargs, theirs), body or {})
                    unknown = getattr(client, method)(fill_page(name, route, kwargs, None), body or {})
                    if foreign.status_code != unknown.status_code:
                        problems.append(
                            f"{user.username} {method.upper()} {route}: theirs {foreign.status_code} vs unknown "
                            f"{unknown.status_code}"
                        )
            if not kwargs:
                query = f"q={theirs['mark']}&outlet={theirs['dealer'].code}&customer={theirs['customer'].pk}"
                response = client.get(f"{reverse(name)}?{query}")
                found = leaked(response.content.decode(errors="replace"), theirs, query)
                if found or response.status_code >= 500:
                    problems.append(f"{user.username} GET {name}?{query} -> {response.status_code} {found}")
        if rows and fingerprint(theirs) != before:
            problems.append(f"{user.username}: changed rows of {theirs['mark']}")
    return problems


def in_state(worlds, state: str) -> None:
    """Point both worlds' claim (and its line and attachment) at their claim in ``state``."""
    for world in worlds.values():
        claim = world["claims"][state]
        world["claim"] = claim
        world["line"] = claim.lines.get(kind="part")
        world["attachment"] = claim.attachments.first()


def test_claim_routes_and_pages_in_every_claim_state_never_cross_dealers(worlds, make_user, client):
    """The claim routes (API and pages) once more with the claims of every other state, as A's dealer staff
    (who acts on its claims), A's member holding the reviewer role (whose permission would decide them),
    and dealer B's staff. (Every role was called in every route by the tests above, with submitted claims.)"""
    acting = {Role.DEALER_STAFF, Role.CLAIMS_REVIEWER}
    users = [
        (user, own, theirs)
        for user, own, theirs in callers(worlds, make_user)
        if own["key"] == "b" or any(user.username == f"alpha_as_{role.value}" for role in acting)
    ]
    operations = [op for op in api_operations() if op[1].startswith(f"{API_PREFIX}claims/{{")]
    routes = [route for route in page_routes() if route[1].startswith("claims/<")]
    assert len(operations) >= 10 and routes
    problems = []
    # The other dealer's rows are compared once around each side's run (the tests above do it per caller).
    for side in ("a", "b"):
        side_users = [entry for entry in users if entry[1]["key"] == side]
        other = "b" if side == "a" else "a"
        before = fingerprint(worlds[other])
        for state in CLAIM_STATES:
            if state == "submitted":
                continue  # the tests above ran with the submitted claims
            in_state(worlds, state)
            problems += [f"[{state}] {p}" for p in api_problems(side_users, operations, rows=False)]
            problems += [f"[{state}] {p}" for p in page_problems(side_users, routes, client, rows=False)]
        if fingerprint(worlds[other]) != before:
            problems.append(f"callers of dealer {side} changed rows of dealer {other}")
    assert not problems, "\n".join(problems[:40])


def test_matrix_sees_the_other_dealers_data_when_it_is_there(worlds, desk_user):
    """The check is honest: the manufacturer's desk sees both dealers, so the markers would be caught."""
    client = APIClient()
    client.force_authenticate(desk_user)
    text = client.get(f"/api/v1/tickets/{worlds['b']['ticket'].pk}/").content.decode()
    assert leaked(text, worlds["b"], sent="")
    text = client.get(f"/api/v1/units/{worlds['b']['unit'].serial}/").content.decode()
    assert {worlds["b"]["customer"].phone, worlds["b"]["unit"].serial} <= set(leaked(text, worlds["b"], sent=""))
    assert fingerprint(worlds["b"])  # the other dealer owns rows to watch
