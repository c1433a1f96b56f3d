"""The coverage decision a case keeps from intake: the policy version and contract that decided it (foreign
keys) and a typed snapshot of what the desk saw (tickets.coverage_snapshot)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tickets.coverage_snapshot import CoverageSnapshot, basis_keys
from warranty import coverage as warranty_coverage
from warranty.models import PolicyVersion, ServiceContract, Unit


@dataclass(frozen=True)
class IntakeCoverage:
    snapshot: CoverageSnapshot
    policy_version: PolicyVersion | None
    contract: ServiceContract | None


def coverage_at_intake(unit: Unit, *, on: date) -> IntakeCoverage:
    """Covered or not on ``on`` (the business day of the report) at the unit's last usage reading, computed
    once: the policy version and contract that decided it are the ones the computation read."""
    basis = warranty_coverage.resolve_basis(unit, on=on)
    answer = warranty_coverage.coverage(unit, on=on, usage=unit.usage_reading, basis=basis)
    policy_id, version, contract_number = basis_keys(answer)
    decided = policy_id is not None and version is not None
    return IntakeCoverage(
        snapshot=CoverageSnapshot.from_answer(answer),
        policy_version=basis.version if decided else None,
        contract=basis.contract if contract_number else None,
    )
