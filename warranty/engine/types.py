"""Value types of the 三包 entitlement engine (see docs/sanbao.md).

Everything here is an immutable value: the engine never reads the database, the settings or the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext_lazy

REGIMES = ("car_2021", "car_2013", "consumer_goods", "contract")
CAR_REGIMES = ("car_2021", "car_2013")
START_EVENTS = ("invoice", "delivery", "installation", "acceptance", "day_after_acceptance")
COMPONENT_KINDS = ("assembly", "main_part", "special_part", "wear_part", "consumable")

# Option codes and charge codes of sanbao.md: a contract with the callers, never translated.
REFUND = "REFUND"
EXCHANGE = "EXCHANGE"
FREE_REPAIR = "FREE_REPAIR"
FREE_ASSEMBLY_REPLACEMENT = "FREE_ASSEMBLY_REPLACEMENT"
FREE_PART_REPLACEMENT = "FREE_PART_REPLACEMENT"
SUBSTITUTE = "SUBSTITUTE"
PAID_REPAIR = "PAID_REPAIR"
# What each remedy is called on the pages.
REMEDY_LABELS = {
    REFUND: gettext_lazy("refund"),
    EXCHANGE: gettext_lazy("exchange"),
    FREE_REPAIR: gettext_lazy("free repair"),
    FREE_ASSEMBLY_REPLACEMENT: gettext_lazy("free replacement of the assembly"),
    FREE_PART_REPLACEMENT: gettext_lazy("free part replacement"),
    SUBSTITUTE: gettext_lazy("substitute unit"),
    PAID_REPAIR: gettext_lazy("paid repair"),
}

CHARGE_NONE = "none"
CHARGE_USAGE_FEE = "usage_fee"
CHARGE_DEPRECIATION = "depreciation"
CHARGE_NOT_APPLICABLE = "—"

# Car Art 23 failure types the engine knows; anything else is a caller error.
FAILURE_TYPES = ("steering", "brakes", "body_cracking", "fuel_leak", "battery_fire")
WAIT_PARTIES = ("", "producer", "repairer")
# Problem code for "maintained at an independent shop": never an excluded cause for cars (validation refuses it).
INDEPENDENT_SHOP = "independent_shop"

# The statutory / contractual exclusions a claim may name (Fault.exclusion), per regime. Goods: the 1995 rules'
# list (misuse or bad storage, disassembly by someone other than the 三包 repairer, no 三包凭证 and no invoice,
# certificate not matching the product or altered, force majeure). Cars: the list of sanbao.md CAR-X32 (an
# independent maintenance shop is not among them). Contracts: the exclusions of domain.md §2.
GOODS_EXCLUSIONS = (
    "misuse",
    "unauthorised_disassembly",
    "no_certificate_or_invoice",
    "altered_certificate",
    "force_majeure",
)
CAR_EXCLUSIONS = (
    "disclosed_defect",
    "against_manual",
    "prohibited_modification",
    "improper_handling",
    "force_majeure",
)
CONTRACT_EXCLUSIONS = (
    "human_damage",
    "force_majeure",
    "against_manual",
    "unauthorised_disassembly",
    "non_maker_parts",
    "own_transport_or_storage",
    "site_environment",
    "consumable",
    "software",
)
EXCLUSIONS = {
    "car_2021": CAR_EXCLUSIONS,
    "car_2013": CAR_EXCLUSIONS,
    "consumer_goods": GOODS_EXCLUSIONS,
    "contract": CONTRACT_EXCLUSIONS,
}


class EngineError(ValueError):
    """Impossible input: the engine refuses to answer rather than guess.

    ``code`` is stable (tests and the API rely on it); ``field`` names the offending input.
    """

    def __init__(self, code: str, message: str, *, field: str = ""):
        super().__init__(str(message))
        self.code = code
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ComponentTerm:
    """A component's own period. Months None: the whole unit's months; usage limit None: no usage limit of its
    own. With neither, the component simply follows the whole unit (it has no period of its own)."""

    code: str
    kind: str
    months: int | None = None
    usage_limit: int | None = None  # km or hours
    system: str = ""  # car main-part system for Art 24(3); empty means "the code is the system"


@dataclass(frozen=True)
class Terms:
    """One warranty-policy version, already resolved."""

    regime: str
    start_event: str = "invoice"  # ignored by the car regimes, whose start is fixed by law
    whole_unit_months: int = 12
    whole_unit_usage: int | None = None
    sanbao_months: int | None = None
    sanbao_usage: int | None = None
    components: tuple[ComponentTerm, ...] = ()
    params: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)
    exclusions: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnitFacts:
    invoice_date: date | None = None
    delivery_date: date | None = None
    installation_date: date | None = None
    acceptance_date: date | None = None
    replaced_on: date | None = None
    price: Decimal | None = None
    same_model_available: bool = True
    replacement_car_available: bool = True


@dataclass(frozen=True)
class Repair:
    """One earlier repair. Its interval (confirmed → completed) includes any waiting for parts."""

    confirmed_at: datetime
    completed_at: datetime | None
    usage: int | None = None
    problem_code: str = ""
    quality_problem: bool = True
    serious_safety: bool = False
    assemblies_replaced: tuple[str, ...] = ()
    main_parts_replaced: tuple[tuple[str, str], ...] = ()
    excluded_hours: Decimal = Decimal(0)
    parts_wait_hours: Decimal = Decimal(0)
    parts_wait_party: str = ""
    component: str = ""


@dataclass(frozen=True)
class Fault:
    """The fault claimed now; ``handed_in_at`` set means the unit is in its current repair."""

    problem_code: str = ""
    quality_problem: bool = True
    serious_safety: bool = False
    failure_types: tuple[str, ...] = ()
    needs_assembly_replacement: bool = False
    assembly_main_part_defect: bool = False
    still_unusable: bool = False
    serious_fault_persists: bool = False
    component: str = ""
    handed_in_at: datetime | None = None
    # Added: odometer reading when the car is returned (option odometer_for_fee = "return").
    return_usage: int | None = None
    # Added: whose fault the current repair's delay is ("producer" for G-12a, "repairer" for G-12b).
    parts_wait_party: str = ""
    # Added: the moment the current repair is assessed; None = the end of the claim date.
    assessed_at: datetime | None = None
    # Added: the day a goods refund is made, which depreciation counts to; None = the claim date.
    refund_date: date | None = None
    # Added: the excluded cause the claim names (one of EXCLUSIONS[regime]); "" = none named.
    exclusion: str = ""


@dataclass(frozen=True)
class Period:
    name: str
    start: date
    end: date  # inclusive last day, after extensions
    usage_limit: int | None
    active: bool


@dataclass(frozen=True)
class RuleResult:
    rule: str
    options: tuple[str, ...]
    charge: str
    amount: Decimal | None
    explanation: str


@dataclass(frozen=True)
class Evaluation:
    regime: str
    start_date: date
    start_event: str  # the event used: a START_EVENTS value, or "replacement" after an exchange
    periods: dict[str, Period]
    repair_days_total: int
    results: tuple[RuleResult, ...]
    # Days since the hand-in day of the current repair (the hand-in day not counted); None: not in repair.
    days_since_hand_in: int | None = None
    # The day depreciation of a goods refund counts to; None for the regimes without depreciation.
    refund_date: date | None = None
