"""`/health` (seed 002: the database and the external services) and `/metrics` (Prometheus
exposition of IMAS's own metrics)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text

from imas import __version__
from imas.api.deps import get_database
from imas.api.external import ExternalChecks, ExternalServices
from imas.db import Database, utcnow

router = APIRouter(tags=["health"])


class DatabaseHealth(BaseModel):
    status: Literal["connected", "unavailable"]
    response_time: float | None
    dialect: str


class Health(BaseModel):
    status: Literal["healthy", "degraded", "unhealthy"]
    """unhealthy (503): the database cannot be reached; degraded (200): an external service
    in use (GitHub sign-in, a Kubernetes cluster) cannot."""
    timestamp: datetime
    version: str
    database: DatabaseHealth
    external_services: ExternalServices | None


@router.get(
    "/health",
    response_model=Health,
    summary="Is IMAS up, and can it reach its database?",
    responses={503: {"model": Health, "description": "The database cannot be reached"}},
)
async def health(request: Request, db: Database = Depends(get_database)) -> JSONResponse:
    started = time.perf_counter()
    try:
        async with db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        database = DatabaseHealth(
            status="connected",
            response_time=round((time.perf_counter() - started) * 1000, 2),
            dialect=db.dialect,
        )
    except Exception:
        database = DatabaseHealth(status="unavailable", response_time=None, dialect=db.dialect)
    healthy = database.status == "connected"
    external = await _external(request, db) if healthy else None
    degraded = external is not None and any(
        s.status in ("degraded", "unavailable") for s in (external.github, external.kubernetes)
    )
    body = Health(
        status="unhealthy" if not healthy else "degraded" if degraded else "healthy",
        timestamp=utcnow(),
        version=__version__,
        database=database,
        external_services=external,
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if healthy else 503)


async def _external(request: Request, db: Database) -> ExternalServices:
    checks: ExternalChecks | None = getattr(request.app.state, "external_checks", None)
    if checks is None:
        checks = request.app.state.external_checks = ExternalChecks(db, request.app.state.settings)
    return await checks.current()


@router.get(
    "/metrics",
    summary="Prometheus metrics of this IMAS process",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
