"""Every operation of the app's own OpenAPI schema, driven by schemathesis with bounded examples, as an admin
and as a dealer user: no answer is a 5xx (nor a database refusal caught by the last-resort handler), and every
documented answer matches the schema."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from aftersales.roles import Role
from tickets.models import BusinessCalendar, SLAPolicy
from tickets.services.tickets import ticket_create
from warranty.tests.conftest import car, car_model, car_policy, dealer, dealer_user  # noqa: F401

# Transactional: views served outside the request transaction (coverage) must not see a test-wide one.
pytestmark = pytest.mark.django_db(transaction=True)

# Examples per operation, user and kind of run; about 5,000 requests in all (a few minutes on 2 cores).
EXAMPLES = {"positive": 8, "negative": 8, "known_ids": 8}
CHECKS = [not_a_server_error, response_schema_conformance]


class Refusals(logging.Handler):
    """Collects what the API's last-resort handler logs: a database refusal or an unhandled error is a bug
    even when the client got a 4xx."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def wsgi_app():
    """The WSGI application, sharing the test's database connection as Django's own test client does (the
    request signals would otherwise close it between requests)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(make_user, car, dealer_user):  # noqa: F811
    admin = make_user(Role.ADMIN, is_staff=True, is_superuser=True)
    now = timezone.now()
    ticket = ticket_create(
        actor=admin,
        channel="phone",
        reporter_name="x",
        description="y",
        severity="major",
        unit=car,
        reported_at=now - timedelta(hours=1),
        now=now,
    )
    return {
        "users": {"admin": admin, "dealer": dealer_user},
        "ids": {
            "tickets": ticket.pk,
            "calendars": BusinessCalendar.objects.order_by("pk").first().pk,
            "sla-policies": SLAPolicy.objects.order_by("pk").first().pk,
        },
        "serial": car.serial,
    }


def known_path_parameters(operation, world) -> dict:
    values = {}
    for parameter in operation.path_parameters:
        name = parameter.name
        if name == "serial":
            values[name] = world["serial"]
        elif name in ("id", "pk"):
            resource = operation.path.split("/")[3]
            values[name] = world["ids"].get(resource, 1)
    return values


def run_operation(operation, *, mode, headers, path_parameters, examples, user):
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters or None))
    def run(case):
        Token.objects.get_or_create(user=user, defaults={"key": headers["Authorization"].split()[1]})
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def test_every_operation_as_admin_and_dealer_never_answers_5xx_and_matches_the_schema(world, wsgi_app):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    refusals = Refusals()
    logging.getLogger("aftersales.api.errors").addHandler(refusals)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    try:
        for role, user in world["users"].items():
            key = f"schemathesis-{role}".ljust(40, "0")[:40]
            Token.objects.filter(user=user).delete()
            Token.objects.create(user=user, key=key)
            headers = {"Authorization": f"Token {key}", "Accept-Language": "en"}
            for operation in operations:
                runs = [
                    ("positive", GenerationMode.POSITIVE, None),
                    ("negative", GenerationMode.NEGATIVE, None),
                ]
                if operation.path_parameters:
                    runs.append(("known_ids", GenerationMode.POSITIVE, known_path_parameters(operation, world)))
                for kind, mode, path_parameters in runs:
                    before = len(refusals.records)
                    try:
                        run_operation(
                            operation,
                            mode=mode,
                            headers=headers,
                            path_parameters=path_parameters,
                            examples=EXAMPLES[kind],
                            user=user,
                        )
                    except Unsatisfiable:
                        assert kind == "negative", operation.label  # nothing in it can be made invalid
                    except (Exception, BaseExceptionGroup) as error:  # collected, reported together below
                        failures.append(f"{role} {kind} {operation.label}: {str(error)[:1500]}")
                    for record in refusals.records[before:]:
                        cause = record.exc_info[1] if record.exc_info else ""
                        failures.append(f"{role} {kind} {operation.label}: logged {record.getMessage()}: {cause}")
    finally:
        logging.getLogger("aftersales.api.errors").removeHandler(refusals)
    assert failures == [], "\n\n".join(failures)
