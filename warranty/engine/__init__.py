"""The 三包 entitlement engine: pure functions over value types (docs/sanbao.md).

No ORM, no settings, no clock: every date and fact is passed in.
"""

from .dates import add_months, repair_days
from .evaluate import compute_periods, evaluate, start_date
from .presets import PRESETS, preset
from .types import (
    COMPONENT_KINDS,
    EXCLUSIONS,
    REGIMES,
    START_EVENTS,
    ComponentTerm,
    EngineError,
    Evaluation,
    Fault,
    Period,
    Repair,
    RuleResult,
    Terms,
    UnitFacts,
)
from .validation import validate_terms

__all__ = [
    "COMPONENT_KINDS",
    "EXCLUSIONS",
    "PRESETS",
    "REGIMES",
    "START_EVENTS",
    "ComponentTerm",
    "EngineError",
    "Evaluation",
    "Fault",
    "Period",
    "Repair",
    "RuleResult",
    "Terms",
    "UnitFacts",
    "add_months",
    "compute_periods",
    "evaluate",
    "preset",
    "repair_days",
    "start_date",
    "validate_terms",
]
