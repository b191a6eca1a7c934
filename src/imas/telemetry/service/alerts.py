"""A rule's series firing or recovering enters the alert intake like any alert (source
`telemetry`), so it is deduplicated, grouped (one incident per rule), paged and escalated like
one. The alerts come through one integration per organization, `IMAS telemetry`, created on first
use with resolve behaviour `resolve` (a recovered rule resolves its incident); an alert without a
`service` label goes to that integration's default service, `telemetry`, created with it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from imas.alerts.models import ResolveBehaviour
from imas.alerts.service.builtin import Builtin
from imas.alerts.service.intake import ingest
from imas.alerts.sources.telemetry import TelemetrySource
from imas.telemetry.models import Rule

TELEMETRY = Builtin(
    kind=TelemetrySource.kind,
    name="IMAS telemetry",
    description="Alert rules on this organization's custom metrics",
    default_service="telemetry",
    service_description="Custom metrics watched by IMAS alert rules (their default service)",
    grouping_labels=["rule_id"],
)


def condition(rule: Rule) -> str:
    matchers = ",".join(f'{m["tag"]}{m["op"]}"{m["value"]}"' for m in rule.matchers)
    selector = f"{rule.metric_name}{{{matchers}}}" if matchers else rule.metric_name
    return (
        f"{rule.aggregation}({selector}[{rule.window_seconds}s]) "
        f"{rule.comparison} {rule.threshold:g}"
    )


async def report(
    session: AsyncSession,
    rule: Rule,
    labels: dict[str, Any],
    *,
    firing: bool,
    value: float | None,
    at: datetime,
) -> None:
    """Fire or resolve the alert of one series of `rule` (a resolution of an alert never sent,
    or already resolved, changes nothing)."""
    integration = await TELEMETRY.existing(session)
    if integration is None:
        if not firing:
            return
        integration = await TELEMETRY.get_or_create(session)
        # A rule's recovery is a machine's verdict on a machine's condition: its incident
        # resolves with it (admins may switch the integration to "mitigate").
        integration.resolve_behaviour = ResolveBehaviour.RESOLVE
        await session.flush()
    text_labels = {str(k): str(v) for k, v in labels.items()}
    payload = {
        "rule": {"id": str(rule.id), "name": rule.name},
        "status": "firing" if firing else "resolved",
        "labels": text_labels,
        "annotations": {str(k): str(v) for k, v in rule.annotations.items()},
        "severity": rule.severity,
        "service": text_labels.get("service"),
        "value": value,
        "condition": condition(rule),
        "occurred_at": at.isoformat(),
    }
    await ingest(session, integration, TelemetrySource().parse(payload), now=at)
