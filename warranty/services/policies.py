"""Warranty policies from the engine's presets (the statutory defaults of each regime)."""

from __future__ import annotations

import json
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

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
