"""Priority and SLA: derived from severity, the service's criticality and the org's policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from imas.catalog.models import Criticality
from imas.incidents.models import Severity


class SlaStatus(StrEnum):
    PENDING = "Pending"
    MET = "Met"
    BREACHED = "Breached"


@dataclass(frozen=True, slots=True)
class Targets:
    ack_seconds: int
    resolve_seconds: int


DEFAULT_TARGETS: dict[str, Targets] = {
    Severity.SEV1_CRITICAL: Targets(ack_seconds=300, resolve_seconds=3600),
    Severity.SEV2_HIGH: Targets(ack_seconds=600, resolve_seconds=5400),
    Severity.SEV3_MEDIUM: Targets(ack_seconds=1800, resolve_seconds=7200),
    Severity.SEV4_LOW: Targets(ack_seconds=3600, resolve_seconds=28800),
}

_SEVERITY_RANK = {s.value: i for i, s in enumerate(Severity, start=1)}
_IMPACT_SHIFT = {
    Criticality.TIER_1_CRITICAL: -1,
    Criticality.TIER_2_HIGH: 0,
    Criticality.TIER_3_MEDIUM: 0,
    Criticality.TIER_4_LOW: 1,
}


def priority(severity: str, criticality: str) -> str:
    """P1..P5: the severity's rank, one higher on a tier-1 service, one lower on a tier-4 one."""
    rank = _SEVERITY_RANK.get(severity, 3) + _IMPACT_SHIFT.get(Criticality(criticality), 0)
    return f"P{min(5, max(1, rank))}"


def sla_status(
    targets: Targets,
    created_at: datetime,
    acknowledged_at: datetime | None,
    resolved_at: datetime | None,
    now: datetime,
) -> SlaStatus:
    """Breached when either target was missed (or is already past); Met once resolved in time."""
    ack_due = created_at + timedelta(seconds=targets.ack_seconds)
    resolve_due = created_at + timedelta(seconds=targets.resolve_seconds)
    if (acknowledged_at or resolved_at or now) > ack_due:
        return SlaStatus.BREACHED
    if (resolved_at or now) > resolve_due:
        return SlaStatus.BREACHED
    return SlaStatus.MET if resolved_at is not None else SlaStatus.PENDING
