"""Warranty policies from the engine's presets (the statutory defaults of each regime)."""

from __future__ import annotations

import json
from datetime import date, datetime

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.errors import ConflictError
from warranty import engine
from warranty.models import PolicyComponentTerm, PolicyVersion, WarrantyPolicy


def version_fields_from_preset(name: str) -> dict:
    """A policy version's fields carrying a preset's numbers (decimals as strings, as JSON stores them)."""
    terms = engine.preset(name)
    return {
        "start_event": terms.start_event,
        "whole_unit_months": terms.whole_unit_months,
        "whole_unit_usage": terms.whole_unit_usage,
        "sanbao_months": terms.sanbao_months,
        "sanbao_usage": terms.sanbao_usage,
        "params": json.loads(json.dumps(terms.params, default=str)),
        "options": dict(terms.options),
        "exclusions": list(terms.exclusions),
    }


@transaction.atomic
def policy_version_from_preset(
    *,
    policy: WarrantyPolicy,
    preset: str,
    effective_from: date,
    version: int = 1,
    effective_to: date | None = None,
    now: datetime | None = None,
    **overrides,
) -> PolicyVersion:
    """A version of ``policy`` with the preset's numbers and component periods (``overrides`` win)."""
    created = PolicyVersion.objects.create(
        policy=policy,
        version=version,
        effective_from=effective_from,
        effective_to=effective_to,
        created_at=now or timezone.now(),
        **(version_fields_from_preset(preset) | overrides),
    )
    PolicyComponentTerm.objects.bulk_create(
        PolicyComponentTerm(
            version=created, code=c.code, kind=c.kind, months=c.months, usage_limit=c.usage_limit, system=c.system
        )
        for c in engine.preset(preset).components
    )
    return created


NO_OVERLAP = "policyversion_no_overlap"


def overlap_refused(error: IntegrityError) -> bool:
    """Whether the database refused a version because its dates meet another version's."""
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) == NO_OVERLAP


class PolicyVersionInUse(Exception):
    """A version that cases already used keeps its terms; a new version is made instead."""


# Who may have decided under a version: each a function (version) -> bool registered by the app that records
# such decisions (cases register theirs in their app's ready(); warranty never imports the apps above it).
VERSION_USERS: list = []


def register_version_user(used) -> None:
    if used not in VERSION_USERS:
        VERSION_USERS.append(used)


def version_in_use(version: PolicyVersion) -> bool:
    """Whether a decision was made under this version (a case's coverage at intake): its terms are frozen."""
    return version.pk is not None and any(used(version) for used in VERSION_USERS)


def version_to_close(policy: WarrantyPolicy, effective_from: date, *, exclude: int | None = None):
    """The version a new one starting on ``effective_from`` closes: the one in force that day and started
    before it (open-ended or running past that day)."""
    return (
        PolicyVersion.objects.filter(policy=policy, effective_from__lt=effective_from)
        .filter(models.Q(effective_to__isnull=True) | models.Q(effective_to__gt=effective_from))
        .exclude(pk=exclude)
        .order_by("-effective_from")
        .first()
    )


def overlapping_versions(version: PolicyVersion, *, closing: PolicyVersion | None) -> list[PolicyVersion]:
    """Other versions of the policy whose dates meet ``version``'s, once ``closing`` ends the day before."""
    if version.policy_id is None:
        return []
    others = PolicyVersion.objects.filter(policy_id=version.policy_id).exclude(pk=version.pk)
    if closing is not None:
        others = others.exclude(pk=closing.pk)
    if version.effective_to is not None:
        others = others.filter(effective_from__lt=version.effective_to)
    return list(others.filter(models.Q(effective_to__isnull=True) | models.Q(effective_to__gt=version.effective_from)))


@transaction.atomic
def save_policy_version(
    *,
    version: PolicyVersion,
    components: list[dict],
    new_policy: dict | None = None,
    now: datetime | None = None,
) -> PolicyVersion:
    """Store a version (with a new policy when ``new_policy`` gives its fields) and its component terms.

    A new version closes the one in force on its start the day before (``effective_to`` is exclusive); the
    database's no-overlap constraint stays the last word. A version cases already used cannot change."""
    if new_policy:
        version.policy = WarrantyPolicy.objects.create(**new_policy)
    else:
        # One writer of a policy's versions at a time: the version closed and the new one are decided together.
        WarrantyPolicy.objects.select_for_update().filter(pk=version.policy_id).first()
    if version.pk:
        PolicyVersion.objects.select_for_update().filter(pk=version.pk).first()
        if version_in_use(version):
            raise PolicyVersionInUse(version.pk)
    else:
        version.created_at = now or timezone.now()
        if not version.version:
            last = PolicyVersion.objects.filter(policy=version.policy).aggregate(n=models.Max("version"))["n"]
            version.version = (last or 0) + 1
        closing = version_to_close(version.policy, version.effective_from)
        if closing is not None:
            closing.effective_to = version.effective_from
            closing.save(update_fields=["effective_to"])
    try:
        with transaction.atomic():
            version.save()
    except IntegrityError as error:
        if not overlap_refused(error):
            raise
        # Another admin stored a version of this policy meanwhile whose dates meet these.
        raise ConflictError(
            "policy_version_overlap",
            _(
                "Another version of this policy was saved meanwhile and its dates overlap %(start)s – %(end)s. "
                "Reload the policy and choose a start after the versions it lists."
            )
            % {
                "start": version.effective_from.isoformat(),
                "end": version.effective_to.isoformat() if version.effective_to else "…",
            },
            details={"field": "effective_from"},
        ) from None
    version.component_terms.all().delete()
    PolicyComponentTerm.objects.bulk_create(
        PolicyComponentTerm(
            version=version,
            code=c["code"],
            kind=c["kind"],
            months=c.get("months"),
            usage_limit=c.get("usage_limit"),
            system=c.get("system") or "",
        )
        for c in components
    )
    return version
