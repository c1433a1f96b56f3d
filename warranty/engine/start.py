"""Which regime applies and when its periods start."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from django.utils.translation import gettext as _

from .presets import CAR_2021_IN_FORCE, resolved_options
from .types import CAR_REGIMES, EngineError, Terms, UnitFacts

_EVENT_FIELDS = {
    "invoice": "invoice_date",
    "delivery": "delivery_date",
    "installation": "installation_date",
    "acceptance": "acceptance_date",
    "day_after_acceptance": "acceptance_date",
}


def _missing(field: str) -> EngineError:
    return EngineError(
        "missing_start_date", _("The start date is unknown: %(field)s is missing.") % {"field": field}, field=field
    )


def _car_original_start(regime: str, facts: UnitFacts) -> tuple[date, str] | None:
    """car_2021: the delivery date when it differs from the invoice date; car_2013: always the invoice date."""
    if regime == "car_2013":
        return (facts.invoice_date, "invoice") if facts.invoice_date else None
    if facts.delivery_date and facts.delivery_date != facts.invoice_date:
        return facts.delivery_date, "delivery"
    if facts.invoice_date:
        return facts.invoice_date, "invoice"
    return None


def _event_original_start(event: str, facts: UnitFacts) -> tuple[date, str] | None:
    value = getattr(facts, _EVENT_FIELDS[event])
    if value is None:
        return None
    if event == "day_after_acceptance":
        value += timedelta(days=1)
    return value, event


def _start(regime: str, start_event: str, facts: UnitFacts) -> tuple[date, str]:
    if regime in CAR_REGIMES:
        original = _car_original_start(regime, facts)
        field = "invoice_date"
    else:
        original = _event_original_start(start_event, facts)
        field = _EVENT_FIELDS[start_event]
    if facts.replaced_on is not None:
        # An exchange restarts every period (car rules; goods G-14): the replacement date is the new start.
        if original is not None and facts.replaced_on < original[0]:
            raise EngineError(
                "replaced_before_start",
                _("A unit cannot be replaced (%(replaced)s) before its period started (%(start)s).")
                % {"replaced": facts.replaced_on, "start": original[0]},
                field="replaced_on",
            )
        return facts.replaced_on, "replacement"
    if original is None:
        raise _missing(field)
    return original


def applicable_terms(terms: Terms, facts: UnitFacts) -> tuple[Terms, date, str]:
    """The terms under the regime that applies, the start date and the start event used.

    Interpretation option 5: a car's regime follows its start date (before 2022-01-01 → car_2013), judged
    with the 2021 start rule (delivery date when it differs from the invoice date, or the replacement date).
    On a switch the regime parameters fall back to the applied regime's statutory defaults: a policy's
    thresholds were written for its own regime (30 days under 2021 is not a promise for a 2013 car).
    """
    regime = terms.regime
    if regime in CAR_REGIMES and resolved_options(terms)["regime_by_start_date"]:
        decisive, _event = _start("car_2021", terms.start_event, facts)
        regime = "car_2021" if decisive >= date(*CAR_2021_IN_FORCE) else "car_2013"
        if regime != terms.regime:
            terms = dataclasses.replace(terms, regime=regime, params={})
    start, event = _start(regime, terms.start_event, facts)
    return terms, start, event
