"""The SLA policy admin: pausing statuses as a metric × status grid (no JSON), the escalation ladder inline
with messages naming the allowed values, the deadline preview, and open cases following a saved change."""

from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales.roles import Role
from aftersales.tests.factories import UserFactory
from tickets.models import SLAMetric, SLAPolicy, Timer
from tickets.services.tickets import ticket_transition
from tickets.tests.factories import CalendarFactory, CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, make_user):
    client.force_login(make_user("admin", is_staff=True, is_superuser=True, language="en"))
    return client


def form_data(form) -> dict:
    """What the browser posts back for an unchanged form (its initial values under their field names)."""
    data = {}
    for bound in form:
        value = bound.value()
        if value is None or value is False:
            continue
        if value is True:
            data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(item) for item in value]
        else:
            data[bound.html_name] = str(value)
    return data


def page_data(response) -> dict:
    data = form_data(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data |= form_data(formset.management_form)
        for form in formset.forms:
            data |= form_data(form)
    return data


@pytest.fixture
def policy():
    policy = SLAPolicy.objects.create(
        code="GRID",
        name="grid",
        effective_from="2020-01-01",
        calendar=CalendarFactory(always_open=True),
        created_at=timezone.now(),
    )
    severity = policy.severities.create(code="major", name="major", rank=1)
    policy.targets.create(severity=severity, metric=SLAMetric.objects.get(code="resolution"), minutes=600)
    return policy


def url(policy):
    return f"/admin/tickets/slapolicy/{policy.pk}/change/"


def test_pause_statuses_are_a_grid_of_metrics_and_statuses(admin, policy):
    policy.pause_statuses = {"resolution": ["waiting_parts"]}
    policy.save()
    page = admin.get(url(policy))
    body = page.content.decode()
    assert (
        'name="pause_grid" value="resolution:waiting_parts" id="id_pause_grid_resolution_waiting_parts" checked' in body
    )
    assert 'value="first_response:waiting_customer"' in body
    assert "waiting for the customer" in body
    assert "pause_statuses" not in page.context["adminform"].form.fields
    data = page_data(page)
    data["pause_grid"] = ["resolution:waiting_customer", "onsite_arrival:waiting_parts"]
    response = admin.post(url(policy), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    policy.refresh_from_db()
    assert policy.pause_statuses == {"onsite_arrival": ["waiting_parts"], "resolution": ["waiting_customer"]}


def test_an_unknown_metric_or_status_cannot_be_stored(admin, policy):
    data = page_data(admin.get(url(policy))) | {"pause_grid": ["resolution:closed", "nope:waiting_customer"]}
    response = admin.post(url(policy), data)
    assert response.status_code == 200
    message = " ".join(response.context["adminform"].form.errors["pause_grid"])
    assert "resolution:closed is not a metric and pausing status" in message and "Allowed" in message
    policy.refresh_from_db()
    assert policy.pause_statuses == {}


def test_ticking_a_pause_moves_a_case_that_waited(admin, policy):
    now = timezone.now()
    start = now - timedelta(hours=5)
    engineer = UserFactory(role=Role.ENGINEER)
    ticket = CaseFactory(sla_policy=policy, reported_at=start, now=start)
    desk = UserFactory(role=Role.SERVICE_DESK)
    ticket = ticket_transition(ticket=ticket, action="assign", actor=desk, engineer=engineer, now=start)
    ticket = ticket_transition(ticket=ticket, action="wait_customer", actor=desk, now=start + timedelta(hours=1))
    ticket = ticket_transition(ticket=ticket, action="resume", actor=desk, now=start + timedelta(hours=3))
    timer = Timer.objects.get(ticket=ticket, metric__code="resolution")
    assert timer.due_at == start + timedelta(minutes=600)

    data = page_data(admin.get(url(policy))) | {"pause_grid": ["resolution:waiting_customer"]}
    assert admin.post(url(policy), data).status_code == 302
    timer.refresh_from_db()
    assert timer.due_at == start + timedelta(minutes=600 + 120)  # the two hours waiting no longer count


def test_deadline_preview_is_kept_on_the_policy_page(admin, policy):
    body = admin.get(url(policy)).content.decode()
    assert 'id="sla-deadline-preview"' in body
    due = timezone.localtime(timezone.now() + timedelta(minutes=600))
    assert due.strftime("%Y-%m-%d") in body


@pytest.mark.parametrize(
    ("step", "field", "words"),
    [
        ({"share_percent": "75", "delay_minutes": "30"}, "share_percent", "not both"),
        ({}, "share_percent", "1 to 1000 %"),
        ({"share_percent": "2000"}, "share_percent", "allowed: 1 to 1000 %"),
        ({"share_percent": "75", "recipient": "role"}, "role", "Choose the role"),
    ],
)
def test_escalation_steps_are_edited_on_the_policy_page_with_clear_messages(admin, policy, step, field, words):
    page = admin.get(url(policy))
    data = page_data(page)
    prefix = next(
        inline.formset.prefix
        for inline in page.context["inline_admin_formsets"]
        if inline.formset.model.__name__ == "EscalationStep"
    )
    data |= {f"{prefix}-TOTAL_FORMS": "1", f"{prefix}-0-order": "1", f"{prefix}-0-recipient": "assignee"}
    data |= {f"{prefix}-0-{name}": value for name, value in step.items()}
    response = admin.post(url(policy), data)
    assert response.status_code == 200
    formset = next(i.formset for i in response.context["inline_admin_formsets"] if i.formset.prefix == prefix)
    assert words in " ".join(formset.forms[0].errors[field])
    data |= {f"{prefix}-0-share_percent": "75", f"{prefix}-0-delay_minutes": "", f"{prefix}-0-recipient": "role"}
    data[f"{prefix}-0-role"] = Role.SERVICE_MANAGER
    assert admin.post(url(policy), data).status_code == 302
    assert policy.escalation_steps.get().role == Role.SERVICE_MANAGER


def test_a_target_of_no_minutes_is_refused_with_the_allowed_range(admin, policy):
    page = admin.get(url(policy))
    data = page_data(page)
    prefix = next(
        i.formset.prefix for i in page.context["inline_admin_formsets"] if i.formset.model.__name__ == "SLATarget"
    )
    data[f"{prefix}-0-minutes"] = "0"
    response = admin.post(url(policy), data)
    formset = next(i.formset for i in response.context["inline_admin_formsets"] if i.formset.prefix == prefix)
    assert formset.forms[0].errors["minutes"] == ["A target is 0 minutes; allowed: 1 minute or more."]
    assert policy.targets.get().minutes == 600


def test_the_admin_writes_the_policy_and_its_rows_through_the_service_once(admin, policy, monkeypatch):
    """One write path: the rows of every inline reach sla_policy_save in one call, which recomputes once."""
    from tickets.services import sla_policies

    start = timezone.now() - timedelta(hours=1)
    ticket = CaseFactory(sla_policy=policy, reported_at=start, now=start)
    timer = Timer.objects.get(ticket=ticket, metric__code="resolution")
    assert timer.due_at == start + timedelta(minutes=600)
    calls = []
    real = sla_policies.recompute_open_cases
    monkeypatch.setattr(sla_policies, "recompute_open_cases", lambda p, now: calls.append(p.pk) or real(p, now=now))
    page = admin.get(url(policy))
    data = page_data(page)
    prefix = next(
        i.formset.prefix for i in page.context["inline_admin_formsets"] if i.formset.model.__name__ == "SLATarget"
    )
    data[f"{prefix}-0-minutes"] = "300"
    steps = next(
        i.formset.prefix for i in page.context["inline_admin_formsets"] if i.formset.model.__name__ == "EscalationStep"
    )
    data |= {f"{steps}-TOTAL_FORMS": "1", f"{steps}-0-order": "1", f"{steps}-0-recipient": "assignee"}
    data |= {f"{steps}-0-share_percent": "75", f"{steps}-0-metric": str(SLAMetric.objects.get(code="resolution").pk)}
    assert admin.post(url(policy), data).status_code == 302
    assert calls == [policy.pk]  # once for the whole save, after every row was stored
    assert policy.targets.get().minutes == 300
    assert policy.escalation_steps.get().share_percent == 75


def test_service_stores_rows_and_deletions_in_one_transaction_and_recomputes(policy):
    from tickets.models import SLATarget
    from tickets.services.sla_policies import sla_policy_save

    start = timezone.now() - timedelta(hours=1)
    ticket = CaseFactory(sla_policy=policy, reported_at=start, now=start)
    target = policy.targets.get()
    target.minutes = 120
    first = SLATarget(severity=target.severity, metric=SLAMetric.objects.get(code="first_response"), minutes=30)
    policy.pause_statuses = {"resolution": ["waiting_customer", "closed"], "nope": ["waiting_parts"]}
    sla_policy_save(policy, rows=[target, first])
    policy.refresh_from_db()
    assert policy.pause_statuses == {"resolution": ["waiting_customer"]}  # checked by the service too
    assert sorted(policy.targets.values_list("metric__code", "minutes")) == [
        ("first_response", 30),
        ("resolution", 120),
    ]
    assert Timer.objects.filter(ticket=ticket).exists()
    sla_policy_save(policy, deleted=[first])
    assert not policy.targets.filter(metric__code="first_response").exists()


def test_policy_page_messages_say_what_is_wrong_and_the_allowed_range(admin, policy):
    default = SLAPolicy.objects.filter(is_default=True, effective_to=None).first() or SLAPolicy.objects.create(
        code="STD",
        name="std",
        effective_from="2020-01-01",
        is_default=True,
        calendar=policy.calendar,
        created_at=timezone.now(),
    )
    page = admin.get(url(policy))
    data = page_data(page) | {"is_default": "on", "effective_to": "2019-06-01"}
    prefix = next(
        i.formset.prefix for i in page.context["inline_admin_formsets"] if i.formset.model.__name__ == "Severity"
    )
    data[f"{prefix}-0-rank"] = "0"
    response = admin.post(url(policy), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["effective_to"] == [
        "The end 2019-06-01 is not after the start; allowed: a day after 2020-01-01, or empty."
    ]
    formset = next(i.formset for i in response.context["inline_admin_formsets"] if i.formset.prefix == prefix)
    assert formset.forms[0].errors["rank"] == ["The rank is 0; allowed: 1 (the most severe) or more."]
    data["effective_to"] = ""
    data[f"{prefix}-0-rank"] = "1"
    response = admin.post(url(policy), data)
    message = " ".join(response.context["adminform"].form.errors["is_default"])
    assert f"{default} is the current default policy already; allowed: one current default." in message
    policy.refresh_from_db()
    assert not policy.is_default
