"""A run that failed for good enters the alert intake like any alert (source `etl`), so it is
deduplicated, grouped, paged and escalated like one; the pipeline's next success resolves it.

The alerts come through one integration per organization, `IMAS pipelines` (kind `etl`),
created on first use and grouping by pipeline (one incident per failing pipeline). An alert
opens an incident only when it has a service: the pipeline's, else that integration's default
service, `data-pipelines`, created with it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.alerts.models import Alert, Integration
from imas.alerts.service.builtin import Builtin
from imas.alerts.service.intake import ingest
from imas.alerts.sources.etl import EtlSource
from imas.automation.models import Run
from imas.catalog.models import Service
from imas.pipelines.models import Pipeline

INTEGRATION_NAME = "IMAS pipelines"
DEFAULT_SERVICE = "data-pipelines"


PIPELINES = Builtin(
    kind=EtlSource.kind,
    name=INTEGRATION_NAME,
    description="Failed runs of this organization's data pipelines",
    default_service=DEFAULT_SERVICE,
    service_description="Data pipelines run by IMAS (their failures' default service)",
    grouping_labels=["pipeline_id"],
)


async def _service_name(session: AsyncSession, pipeline: Pipeline) -> str | None:
    if pipeline.service_id is None:
        return None
    return await session.scalar(select(Service.name).where(Service.id == pipeline.service_id))


async def _report(
    session: AsyncSession,
    integration: Integration,
    pipeline: Pipeline,
    run: Run,
    body: dict[str, Any],
) -> None:
    payload = {
        "pipeline": {"id": str(pipeline.id), "name": pipeline.name},
        "run_id": str(run.id),
        "severity": pipeline.severity,
        "service": await _service_name(session, pipeline),
        **body,
    }
    [alert_in] = EtlSource().parse(payload)
    [outcome] = await ingest(session, integration, [alert_in])
    if outcome.deduplicated and outcome.alert_id is not None and body["status"] == "failed":
        # A repeat counts on the firing alert; it shows the latest failure, not the first.
        alert = await session.get(Alert, outcome.alert_id)
        if alert is not None:
            alert.labels = {**alert.labels, **alert_in.labels}
            alert.description = alert_in.description


async def failed(session: AsyncSession, pipeline: Pipeline, run: Run, code: str) -> None:
    await _report(
        session,
        await PIPELINES.get_or_create(session),
        pipeline,
        run,
        {
            "status": "failed",
            "error_code": code,
            "message": run.error or "failed",
            "retry_count": max(run.attempt - 1, 0),
            "occurred_at": run.finished_at.isoformat() if run.finished_at else None,
        },
    )


async def succeeded(session: AsyncSession, pipeline: Pipeline, run: Run) -> None:
    """Resolve the pipeline's firing alert, if any (nothing is created for a success)."""
    integration = await PIPELINES.existing(session)
    if integration is None:
        return
    await _report(
        session,
        integration,
        pipeline,
        run,
        {
            "status": "success",
            "occurred_at": run.finished_at.isoformat() if run.finished_at else None,
        },
    )
