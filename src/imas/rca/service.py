"""Analyze an incident (LLM first when configured, else or on failure the built-in analyzer),
store the analysis, and record it on the incident's timeline. Never commits."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.config import Settings
from imas.incidents import repository as incidents
from imas.incidents.models import Incident, TimelineType
from imas.incidents.service import timeline
from imas.orgs.models import User
from imas.rca import context as contexts
from imas.rca import search
from imas.rca.analyzers.base import AnalyzerFailed, Result
from imas.rca.analyzers.builtin import BuiltinAnalyzer
from imas.rca.analyzers.llm import LlmAnalyzer
from imas.rca.models import IncidentAnalysis

SIMILAR_MAX = 50


async def analyze(
    session: AsyncSession, ident: str, actor: User | None, settings: Settings
) -> IncidentAnalysis:
    """`ident`: the incident's id or short id (404 for another organization's)."""
    incident = await incidents.get(session, ident, ())
    context = await contexts.gather(session, incident)
    result = await _result(context, settings)
    stored = IncidentAnalysis(
        id=uuid.uuid4(),
        organization_id=incident.organization_id,
        incident_id=incident.id,
        analyzer=result.analyzer,
        result=result.analysis.model_dump(mode="json"),
        evidence=result.evidence,
        fallback_reason=result.fallback_reason,
        requested_by_id=actor.id if actor else None,
    )
    session.add(stored)
    analysis = result.analysis
    timeline.record(
        session,
        incident,
        TimelineType.ANALYSIS,
        f"Analysis ({result.analyzer}): {analysis.root_causes[0]} "
        f"(confidence {analysis.confidence_score:.2f}, risk {analysis.risk_assessment})",
        actor,
        analysis_id=str(stored.id),
        analyzer=result.analyzer,
    )
    await session.flush()
    return stored


async def _result(context: contexts.Context, settings: Settings) -> Result:
    builtin = BuiltinAnalyzer()
    if not settings.llm_base_url:
        return await builtin.analyze(context)
    try:
        return await LlmAnalyzer(settings).analyze(context)
    except AnalyzerFailed as exc:
        fallback = await builtin.analyze(context)
        return Result(
            analysis=fallback.analysis,
            analyzer=fallback.analyzer,
            evidence=fallback.evidence,
            fallback_reason=f"{exc}; the built-in analyzer answered instead",
        )


async def latest(session: AsyncSession, incident_id: uuid.UUID) -> IncidentAnalysis | None:
    return await session.scalar(
        select(IncidentAnalysis)
        .where(IncidentAnalysis.incident_id == incident_id)
        .order_by(IncidentAnalysis.created_at.desc(), IncidentAnalysis.id.desc())
        .limit(1)
    )


async def history(session: AsyncSession, ident: str) -> list[IncidentAnalysis]:
    incident = await incidents.get(session, ident, ())  # 404 for another organization's
    found = await session.scalars(
        select(IncidentAnalysis)
        .where(IncidentAnalysis.incident_id == incident.id)
        .order_by(IncidentAnalysis.created_at.desc(), IncidentAnalysis.id.desc())
    )
    return list(found.all())


async def similar(
    session: AsyncSession, ident: str, limit: int
) -> tuple[Incident, list[contexts.Similar]]:
    incident = await incidents.get(session, ident, ())
    context = await contexts.gather(session, incident)
    words = search.terms(context.text, *(a.labels.get("error_type", "") for a in context.alerts))
    return incident, await contexts.similar(session, incident, words, min(limit, SIMILAR_MAX))
