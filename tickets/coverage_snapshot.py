"""The coverage decision a case keeps from intake, as a typed value with a schema version.

The case points to the policy version and the contract that decided it (foreign keys); this snapshot keeps
what the desk saw, so it reads the same after the policy is edited. Code reads its attributes, never key
paths of a dict. Pure (no ORM), so data migrations convert old rows with it too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

SCHEMA = 1


def _day(value) -> date | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class PeriodSnapshot:
    name: str
    label: str
    start: date
    end: date
    usage_limit: int | None
    active: bool


@dataclass(frozen=True)
class CoverageSnapshot:
    """Covered or not on the intake day, on which basis, and why not."""

    serial: str
    on: date
    usage: int | None
    covered: bool
    regime: str = ""
    policy_code: str = ""
    policy_version: int | None = None
    contract_number: str = ""
    start_date: date | None = None
    reason_code: str = ""
    reason_message: str = ""
    registration_late: bool = False
    periods: tuple[PeriodSnapshot, ...] = field(default_factory=tuple)
    schema: int = SCHEMA

    @classmethod
    def from_answer(cls, answer: dict) -> CoverageSnapshot:
        """From a coverage answer (warranty.coverage.coverage), with dates as dates or ISO strings."""
        basis = answer.get("basis") or {}
        reason = answer.get("reason") or {}
        contract = basis.get("contract") or {}
        return cls(
            serial=answer["serial"],
            on=_day(answer["on"]),
            usage=answer.get("usage"),
            covered=bool(answer.get("covered")),
            regime=basis.get("regime") or "",
            policy_code=(basis.get("policy") or {}).get("code", ""),
            policy_version=basis.get("version"),
            contract_number=contract.get("number", ""),
            start_date=_day(basis.get("start_date")),
            reason_code=reason.get("code") or "",
            reason_message=str(reason.get("message") or ""),
            registration_late=bool((answer.get("registration") or {}).get("late")),
            periods=tuple(
                PeriodSnapshot(
                    name=period["name"],
                    label=str(period.get("label", period["name"])),
                    start=_day(period["start"]),
                    end=_day(period["end"]),
                    usage_limit=period.get("usage_limit"),
                    active=bool(period.get("active")),
                )
                for period in answer.get("periods") or ()
            ),
        )

    @classmethod
    def from_json(cls, data: dict | None) -> CoverageSnapshot | None:
        """The stored form back as a value; None for a case without a unit."""
        if not data:
            return None
        if data.get("schema") != SCHEMA:
            raise ValueError(f"unknown coverage snapshot schema {data.get('schema')!r}")
        values = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        values["on"] = _day(values["on"])
        values["start_date"] = _day(values.get("start_date"))
        values["periods"] = tuple(
            PeriodSnapshot(**{**period, "start": _day(period["start"]), "end": _day(period["end"])})
            for period in values.get("periods", ())
        )
        return cls(**values)

    def to_json(self) -> dict:
        def plain(value):
            if isinstance(value, date):
                return value.isoformat()
            if isinstance(value, list | tuple):
                return [plain(item) for item in value]
            if isinstance(value, dict):
                return {key: plain(item) for key, item in value.items()}
            return value

        return plain(asdict(self))


def basis_keys(answer: dict) -> tuple[int | None, int | None, str]:
    """(policy id, version number, contract number) of the answer's basis, for the case's foreign keys."""
    basis = answer.get("basis") or {}
    return (basis.get("policy") or {}).get("id"), basis.get("version"), (basis.get("contract") or {}).get("number", "")
