"""The offline analyzer. Each conclusion comes from evidence it can name:

- root causes: those written on the similar resolved incidents (weighted by similarity), then
  the error classification of the incident's text (and of its alerts' `error_type` labels);
- suggested actions: the classification's, the service's runbooks, the similar incidents'
  resolution notes;
- affected components: the service, its affected systems, and the alerts' component labels;
- estimated resolution time: the median MTTR of the similar incidents (else the SLA target);
- risk: the severity, one step higher on a tier-1 service;
- confidence: grows with the evidence found (similar incidents and how well they match and
  agree, a known error type, runbooks, alerts) — never a constant.
"""

from __future__ import annotations

import statistics
from datetime import timedelta

from imas import durations
from imas.alerts.classification import UNKNOWN
from imas.catalog.models import Criticality
from imas.incidents.models import Severity
from imas.incidents.sla import DEFAULT_TARGETS
from imas.rca.analyzers.base import Analyzer, Result
from imas.rca.context import Context
from imas.rca.schemas import Analysis, Risk

COMPONENT_LABELS = (
    "component",
    "job",
    "instance",
    "namespace",
    "cluster",
    "pod",
    "container",
    "host",
    "database",
    "queue",
)
_RISK = [Risk.CRITICAL, Risk.HIGH, Risk.MEDIUM, Risk.LOW]
_SEVERITY_RISK: dict[str, int] = {
    Severity.SEV1_CRITICAL: 0,
    Severity.SEV2_HIGH: 1,
    Severity.SEV3_MEDIUM: 2,
    Severity.SEV4_LOW: 3,
}


def iso_duration(span: timedelta) -> str:
    """To the minute, at least one (an estimate)."""
    return durations.iso_duration(max(60, round(span.total_seconds() / 60) * 60))


def _dedup(items: list[str], limit: int) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        text = " ".join(item.split())[:500]
        if text and text.lower() not in {k.lower() for k in seen}:
            seen[text] = None
    return list(seen)[:limit]


class BuiltinAnalyzer(Analyzer):
    name = "builtin"

    async def analyze(self, context: Context) -> Result:
        incident, similar = context.incident, context.similar
        evidence: list[str] = []
        confidence = 0.1

        causes: dict[str, float] = {}
        for match in similar:
            if match.incident.root_cause:
                cause = match.incident.root_cause.strip()
                causes[cause] = causes.get(cause, 0.0) + match.score
        if similar:
            best = similar[0].score
            evidence.append(
                f"{len(similar)} similar resolved incident(s), best match "
                f"{similar[0].incident.short_id} (score {best:.2f})"
            )
            confidence += 0.35 * best
            if causes:
                top, weight = max(causes.items(), key=lambda kv: kv[1])
                total = sum(causes.values())  # 0 when every match scored 0 (a tiny history)
                agreement = weight / total if total > 0 else 0.0
                confidence += 0.15 * agreement
                agreeing = sum(1 for m in similar if (m.incident.root_cause or "").strip() == top)
                evidence.append(f"Root cause '{top}' recorded on {agreeing} of them")

        classification = context.classification
        label_types = {
            str(a.labels["error_type"]) for a in context.alerts if a.labels.get("error_type")
        }
        classified_causes: list[str] = []
        if classification != UNKNOWN:
            confidence += 0.2
            classified_causes.append(f"{classification.error_type}: {classification.category}")
            evidence.append(
                f"The error text reads as {classification.error_type} ({classification.category})"
            )
        for error_type in sorted(label_types - {classification.error_type}):
            classified_causes.append(str(error_type))
            evidence.append(f"An alert was classified {error_type}")

        actions: list[str] = []
        if classification != UNKNOWN and classification.suggested_action:
            actions.append(classification.suggested_action)
        for runbook in context.runbooks:
            actions.append(f"Follow runbook '{runbook.title}'")
        if context.runbooks:
            confidence += 0.1
            evidence.append(f"{len(context.runbooks)} runbook(s) for {context.service.name}")
        actions += [m.incident.resolution_note for m in similar if m.incident.resolution_note]

        components = [context.service.name, *incident.affected_systems]
        for alert in context.alerts:
            components += [str(alert.labels[k]) for k in COMPONENT_LABELS if alert.labels.get(k)]
        if context.alerts:
            confidence += 0.05
            evidence.append(f"{len(context.alerts)} alert(s) attached")

        mttrs = [m.mttr for m in similar if m.mttr is not None]
        if mttrs:
            estimate = timedelta(seconds=statistics.median(t.total_seconds() for t in mttrs))
            evidence.append(
                f"Median time to resolve of the similar incidents: {iso_duration(estimate)}"
            )
        else:
            target = DEFAULT_TARGETS.get(incident.severity, DEFAULT_TARGETS[Severity.SEV3_MEDIUM])
            estimate = timedelta(seconds=target.resolve_seconds)
            evidence.append("No similar incident to time: the estimate is the SLA resolve target")

        rank = _SEVERITY_RISK.get(incident.severity, 2)
        if context.service.criticality == Criticality.TIER_1_CRITICAL:
            rank = max(0, rank - 1)

        root_causes = sorted(causes, key=lambda c: -causes[c]) + classified_causes
        if not root_causes:
            root_causes = ["Unknown: no similar incident and no known error pattern"]
        analysis = Analysis(
            root_causes=_dedup(root_causes, 5),
            confidence_score=round(min(confidence, 0.95), 2),
            affected_components=_dedup(components, 10),
            suggested_actions=_dedup(actions, 6)
            or ["Investigate the service's recent changes and logs"],
            similar_incidents=[m.incident.short_id for m in similar],
            risk_assessment=_RISK[rank],
            estimated_resolution_time=iso_duration(estimate),
        )
        return Result(analysis=analysis, analyzer=self.name, evidence=evidence)
