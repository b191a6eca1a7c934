"""`/api/v1/incidents/{id}/analyze/` (seed 001), its history, and `/similar/`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from imas.api.deps import SessionDep, SettingsDep
from imas.incidents.deps import IncidentRef, Reader, Writer
from imas.rca import service
from imas.rca.models import IncidentAnalysis
from imas.rca.schemas import Analysis, AnalysisRead, SimilarIncident, SimilarList

router = APIRouter(prefix="/api/v1/incidents", tags=["rca"])


def read(stored: IncidentAnalysis) -> AnalysisRead:
    return AnalysisRead(
        analysis=Analysis.model_validate(stored.result),
        id=stored.id,
        analyzer=stored.analyzer,
        evidence=stored.evidence,
        fallback_reason=stored.fallback_reason,
        created_at=stored.created_at,
    )


@router.post(
    "/{incident}/analyze/",
    response_model=AnalysisRead,
    summary="Analyze the incident: likely root causes, actions, similar incidents, risk",
)
async def analyze(
    incident: IncidentRef, session: SessionDep, principal: Writer, settings: SettingsDep
) -> AnalysisRead:
    return read(await service.analyze(session, incident, principal.user, settings))


@router.get(
    "/{incident}/analyses/",
    response_model=list[AnalysisRead],
    summary="Every analysis of the incident, newest first",
)
async def analyses(incident: IncidentRef, session: SessionDep, _: Reader) -> list[AnalysisRead]:
    return [read(a) for a in await service.history(session, incident)]


@router.get(
    "/{incident}/similar/",
    response_model=SimilarList,
    summary="Resolved incidents like this one, most similar first",
)
async def similar(
    incident: IncidentRef,
    session: SessionDep,
    _: Reader,
    limit: Annotated[int, Query(ge=1, le=service.SIMILAR_MAX)] = 5,
) -> SimilarList:
    found = (await service.similar(session, incident, limit))[1]
    return SimilarList(
        results=[
            SimilarIncident(
                id=m.incident.id,
                short_id=m.incident.short_id,
                title=m.incident.title,
                score=m.score,
                root_cause=m.incident.root_cause,
                resolution_note=m.incident.resolution_note,
                mttr_seconds=int(m.mttr.total_seconds()) if m.mttr else None,
            )
            for m in found
        ]
    )
