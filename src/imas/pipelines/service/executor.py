"""Executing one attempt of a pipeline run, in three parts (as the run engine does for actions,
`imas.automation.service.engine`), so whatever dies when, the run ends recorded:

1. In a transaction: check the job is still the run's current step, record one task per
   pipeline step (running) and commit. If this step's attempt is already running, its worker
   stopped mid-way: the attempt's tasks are marked `unknown` and it counts as a failed attempt
   (loads are idempotent per run, so the next attempt rewrites what the dead one wrote).
2. Outside any transaction: stream the data, extract -> transforms -> loads, batch by batch,
   bounded by the pipeline's timeout. A watcher polls the run twice a second: a stop request
   cancels the work (and with it the running query); progress is saved and sent live.
3. In a transaction: record the outcome, the tasks' metrics and the logs, and what follows
   (success and the new high-watermark; the next attempt after a backoff; failure for good and
   its alert), with the job's completion in the same commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl
import structlog
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from imas.automation import repository as engine_repository
from imas.automation.models import Run, RunStatus, RunTask, TaskStatus
from imas.automation.service.engine import RunLogBook, write_logs
from imas.config import Settings
from imas.db import acting_in, utcnow
from imas.events import EventType, emit
from imas.jobs.registry import JobContext
from imas.pipelines import notifications, repository
from imas.pipelines.connectors.base import Connector as ConnectorPlugin
from imas.pipelines.connectors.base import ConnectorFailed
from imas.pipelines.exceptions import PipelineInvalid
from imas.pipelines.models import Pipeline, PipelineStep
from imas.pipelines.service import connectors, failures, progress
from imas.pipelines.service.runs import hand_over
from imas.pipelines.steps import registry as step_types
from imas.pipelines.steps.base import Extract, Load, Step, StepContext, StepFailed, Transform

log = structlog.get_logger("imas.pipelines")
WATCH_SECONDS = 0.5
"""How often a running attempt looks for a stop request (a stop takes effect within this)."""
SAVE_EVERY = 2
READ_AHEAD = 2
"""Batches the extract may read ahead of the loads."""
"""Progress is saved and sent every this many watches."""
EPOCH = "1970-01-01T00:00:00+00:00"


@dataclass
class Planned:
    step: Step
    context: StepContext
    task_id: uuid.UUID
    name: str


@dataclass
class Attempt:
    run_id: uuid.UUID
    pipeline_id: uuid.UUID
    attempt: int
    started_at: datetime
    timeout: float
    expected_rows: int | None
    steps: list[Planned]
    plugins: list[ConnectorPlugin]
    book: RunLogBook
    rows_extracted: int = 0
    batches: int = 0
    current: str = ""
    error: str | None = None
    error_code: str = "PIPELINE_EXECUTION_FAILED"
    cancelled: bool = False
    outcome_started: float = field(default_factory=time.perf_counter)

    def progress(self) -> float:
        if self.expected_rows:
            return min(0.99, self.rows_extracted / self.expected_rows)
        remaining: float = 0.5 ** (self.batches / 5.0)
        return min(0.95, 1.0 - remaining)  # rising, without a known total


async def execute(ctx: JobContext, run_id: uuid.UUID, step: int) -> None:
    book = RunLogBook()
    async with ctx.db.transaction() as session:
        with acting_in(session, ctx.organization_id):
            attempt = await _begin(session, ctx.settings, run_id, step, book)
            await write_logs(session, run_id, None, book)
            if attempt is None:
                await ctx.succeed_in(session)
                return
    await _run(ctx, attempt)
    async with ctx.db.transaction() as session:
        with acting_in(session, ctx.organization_id):
            await _finish(session, ctx.settings, step, attempt)
            await write_logs(session, run_id, None, book)
            await ctx.succeed_in(session)


async def _begin(
    session: AsyncSession, settings: Settings, run_id: uuid.UUID, step: int, book: RunLogBook
) -> Attempt | None:
    run = await engine_repository.lock_run(session, run_id)
    if run is None or run.step != step or run.pipeline_id is None:
        return None  # a stale or repeated job: the run has moved on
    pipeline = await session.get(Pipeline, run.pipeline_id)
    if run.status == RunStatus.RUNNING:
        await _interrupted(session, settings, run, pipeline, book)
        return None
    if run.status not in (RunStatus.QUEUED, RunStatus.RETRYING) or pipeline is None:
        return None
    steps = await repository.steps(session, pipeline.id)
    run.attempt += 1
    run.status = RunStatus.RUNNING
    now = utcnow()
    run.started_at = run.started_at or now
    run.progress = 0.0
    run.current_step = steps[0].name if steps else None
    run.error = None
    seq = await _last_task_seq(session, run.id)
    tasks = [
        RunTask(
            run_id=run.id,
            step=seq + position + 1,
            attempt=run.attempt,
            name=s.name,
            details={"step_type": s.kind, "order_index": s.order_index, "metrics": {}},
        )
        for position, s in enumerate(steps)
    ]
    session.add_all(tasks)
    await session.flush()
    book.write(
        "info",
        f"Starting pipeline '{pipeline.name}' (attempt {run.attempt} of {run.max_retries})",
        context={"steps": [s.name for s in steps]},
    )
    attempt = Attempt(
        run_id=run.id,
        pipeline_id=pipeline.id,
        attempt=run.attempt,
        started_at=now,
        timeout=float(run.timeout_seconds),
        expected_rows=await repository.recent_rows(session, pipeline.id),
        steps=[],
        plugins=[],
        book=book,
    )
    variables = _variables(run, pipeline, now)
    try:
        for s, task in zip(steps, tasks, strict=True):
            attempt.steps.append(await _plan(session, settings, s, task, variables, attempt))
    except (ConnectorFailed, StepFailed) as exc:
        attempt.error = str(exc)
        attempt.error_code = "CONNECTOR_CONNECTION_FAILED"
    if run.attempt == 1:
        await emit(session, EventType.PIPELINE_EXECUTION_STARTED, _event(pipeline, run))
    progress.publish(session, run)
    return attempt


async def _last_task_seq(session: AsyncSession, run_id: uuid.UUID) -> int:
    found = await session.scalar(select(func.max(RunTask.step)).where(RunTask.run_id == run_id))
    return int(found or 0)


def _variables(run: Run, pipeline: Pipeline, now: datetime) -> dict[str, Any]:
    context = run.parameters.get("context") or {}
    parameters = context.get("parameters") if isinstance(context, dict) else None
    parameters = parameters if isinstance(parameters, dict) else {}
    return {
        **parameters,
        "parameters": parameters,
        "last_run_date": pipeline.watermark.isoformat() if pipeline.watermark else EPOCH,
        "run_id": str(run.id),
        "pipeline_id": str(pipeline.id),
        "started_at": now.isoformat(),
    }


async def _plan(
    session: AsyncSession,
    settings: Settings,
    spec: PipelineStep,
    task: RunTask,
    variables: dict[str, Any],
    attempt: Attempt,
) -> Planned:
    cls = step_types.find(spec.kind)
    if cls is None:
        raise StepFailed(f"step '{spec.name}': no step type '{spec.kind}' in this IMAS")
    step = cls.create(spec.config)
    plugin: ConnectorPlugin | None = None
    if spec.connector_id is not None:
        connector = await repository.connector(session, spec.connector_id)
        if not connector.is_active:
            raise ConnectorFailed(
                f"step '{spec.name}': the connector '{connector.name}' is inactive"
            )
        plugin = connectors.plugin(connector, settings)
        attempt.plugins.append(plugin)
    book, task_id = attempt.book, task.id

    def write(level: str, message: str, context: dict[str, Any]) -> None:
        book.write(level, message, task_id=task_id, context=context)

    context = StepContext(
        run_id=attempt.run_id,
        pipeline_id=attempt.pipeline_id,
        connector=plugin,
        variables=variables,
        log=write,
        batch_rows=settings.pipeline_batch_rows,
    )
    return Planned(step, context, task.id, spec.name)


async def _run(ctx: JobContext, attempt: Attempt) -> None:
    """Stream the data, watched for stop requests, bounded by the timeout."""
    if attempt.error is None:
        work = asyncio.create_task(_stream(attempt))
        watcher = asyncio.create_task(_watch(ctx, attempt, work))
        try:
            async with asyncio.timeout(attempt.timeout):
                await asyncio.shield(work)
        except TimeoutError:
            work.cancel()
            with contextlib.suppress(BaseException):
                await work
            attempt.error = f"timed out after {attempt.timeout:g} s"
            attempt.error_code = "PIPELINE_TIMEOUT"
        except asyncio.CancelledError:
            if not attempt.cancelled:  # the worker itself is stopping: so does the work
                work.cancel()
                with contextlib.suppress(BaseException):
                    await work
                raise
        except (StepFailed, ConnectorFailed) as exc:
            attempt.error = str(exc)
            if isinstance(exc, ConnectorFailed):
                attempt.error_code = "CONNECTOR_CONNECTION_FAILED"
        except Exception as exc:  # a step's bug or a driver's error fails the attempt
            log.warning("pipeline_step_error", run_id=str(attempt.run_id), error=type(exc).__name__)
            attempt.error = f"{type(exc).__name__}: {exc}"[:2000]
        finally:
            watcher.cancel()
            with contextlib.suppress(BaseException):
                await watcher
    for plugin in attempt.plugins:
        with contextlib.suppress(Exception):
            await plugin.close()
    if attempt.error:
        attempt.book.write("error", attempt.error, context={"error_code": attempt.error_code})


async def _stream(attempt: Attempt) -> None:
    first, rest = attempt.steps[0], attempt.steps[1:]
    extract = first.step
    assert isinstance(extract, Extract)
    columns = await extract.columns(first.context)
    if columns is not None:  # a transform naming an unknown column fails before any write
        for planned in rest:
            if isinstance(planned.step, Transform):
                columns = planned.step.output_columns(columns)
    loads = [p for p in rest if isinstance(p.step, Load)]
    for planned in loads:
        assert isinstance(planned.step, Load)
        await planned.step.open(planned.context)
    succeeded = False
    batches: asyncio.Queue[pl.DataFrame | Exception | None] = asyncio.Queue(READ_AHEAD)

    async def read() -> None:
        """The extract, reading ahead while the loads write (the source and the target work
        at once; memory holds at most READ_AHEAD more batches)."""
        try:
            async for frame in extract.batches(first.context):
                attempt.rows_extracted += frame.height  # the steps count their own metrics
                await batches.put(frame)
        except Exception as exc:  # handed to the writer, which raises it
            await batches.put(exc)
        else:
            await batches.put(None)

    reader = asyncio.create_task(read())
    try:
        while (item := await batches.get()) is not None:
            if isinstance(item, Exception):
                raise item
            current: pl.DataFrame = item
            for planned in rest:
                attempt.current = planned.name
                if isinstance(planned.step, Transform):
                    _count(planned, "rows_in", current.height)
                    current = planned.step.apply(current)
                    _count(planned, "rows_out", current.height)
                elif isinstance(planned.step, Load):
                    await planned.step.write(planned.context, current, attempt.batches)
            attempt.batches += 1
            attempt.current = first.name
        succeeded = True
    finally:
        reader.cancel()
        with contextlib.suppress(BaseException):
            await reader
        for planned in loads:
            assert isinstance(planned.step, Load)
            with contextlib.suppress(Exception):
                await planned.step.close(planned.context, succeeded=succeeded)


def _count(planned: Planned, name: str, value: int) -> None:
    planned.context.metrics[name] = planned.context.metrics.get(name, 0) + value


async def _watch(ctx: JobContext, attempt: Attempt, work: asyncio.Task[None]) -> None:
    """Cancel the work when a stop is asked; save and send progress meanwhile."""
    ticks = 0
    while not work.done():
        await asyncio.sleep(WATCH_SECONDS)
        ticks += 1
        save = ticks % SAVE_EVERY == 0
        async with ctx.db.transaction(write=save) as session:
            with acting_in(session, ctx.organization_id):
                run = await session.get(Run, attempt.run_id, populate_existing=True)
                if run is None or run.cancel_requested or run.status != RunStatus.RUNNING:
                    attempt.cancelled = True
                    work.cancel()
                    return
                if save:
                    run.progress = attempt.progress()
                    run.current_step = attempt.current
                    await _save_metrics(session, attempt)
                    progress.publish(session, run)


async def _save_metrics(session: AsyncSession, attempt: Attempt) -> None:
    for planned in attempt.steps:
        await session.execute(
            update(RunTask)
            .where(RunTask.id == planned.task_id)
            .values(details=_details(planned, attempt))
        )


def _details(planned: Planned, attempt: Attempt) -> dict[str, Any]:
    metrics: dict[str, Any] = dict(planned.context.metrics)
    elapsed = max(time.perf_counter() - attempt.outcome_started, 1e-6)
    if "rows_extracted" in metrics:
        metrics["extraction_rate"] = round(metrics["rows_extracted"] / elapsed, 1)
    if "rows_loaded" in metrics:
        metrics["load_rate"] = round(metrics["rows_loaded"] / elapsed, 1)
    return {"step_type": planned.step.kind, "metrics": metrics}


async def _finish(session: AsyncSession, settings: Settings, step: int, attempt: Attempt) -> None:
    run = await engine_repository.lock_run(session, attempt.run_id)
    if run is None:
        return
    pipeline = await session.get(Pipeline, attempt.pipeline_id)
    tasks = {
        t.id: t for t in await repository.tasks(session, [run.id]) if t.attempt == attempt.attempt
    }
    now = utcnow()
    stopped = attempt.cancelled or run.cancel_requested
    for planned in attempt.steps:
        task = tasks.get(planned.task_id)
        if task is None:
            continue
        task.details = {**task.details, **_details(planned, attempt)}
        task.finished_at = now
        if attempt.error is None and not stopped:
            task.status = TaskStatus.SUCCEEDED
        else:
            task.status = TaskStatus.FAILED
            task.error = run.state.get("stop_reason", "stopped") if stopped else attempt.error
    for task in tasks.values():  # steps never planned (a connector that failed to open)
        if task.status == TaskStatus.RUNNING:
            task.status, task.error, task.finished_at = TaskStatus.FAILED, attempt.error, now
    if run.step != step or run.status != RunStatus.RUNNING or pipeline is None:
        return  # moved on meanwhile: only the tasks are recorded
    duration = (now - attempt.started_at).total_seconds()
    run.result = _run_metrics(attempt, len(tasks), duration)
    if stopped:
        run.status = RunStatus.CANCELLED
        run.error = run.state.get("stop_reason", "stopped")
        run.finished_at = now
        run.step += 1
        attempt.book.write("warning", f"Run {run.error}")
        await emit(session, EventType.PIPELINE_EXECUTION_FAILED, _event(pipeline, run))
    elif attempt.error is None:
        run.status = RunStatus.SUCCEEDED
        run.progress = 1.0
        run.current_step = None
        run.finished_at = now
        pipeline.watermark = attempt.started_at
        attempt.book.write(
            "info",
            f"Succeeded: {attempt.rows_extracted} rows in {duration:.1f} s",
            context=run.result,
        )
        await emit(session, EventType.PIPELINE_EXECUTION_COMPLETED, _event(pipeline, run))
        await failures.succeeded(session, pipeline, run)
        await notifications.enqueue_for(session, pipeline, run)
    else:
        await after_failure(
            session, settings, run, pipeline, attempt.error, attempt.error_code, attempt.book
        )
    progress.publish(session, run)


def _run_metrics(attempt: Attempt, steps: int, duration: float) -> dict[str, Any]:
    succeeded = steps if attempt.error is None and not attempt.cancelled else 0
    rows = attempt.rows_extracted
    return {
        "total_rows_processed": rows,
        "success_rate": round(succeeded / steps, 4) if steps else 0.0,
        "average_processing_time": round(duration / rows, 6) if rows else 0.0,
        "duration_seconds": round(duration, 3),
    }


async def after_failure(
    session: AsyncSession,
    settings: Settings,
    run: Run,
    pipeline: Pipeline,
    error: str,
    code: str,
    book: RunLogBook,
) -> None:
    """The attempt failed: the next one after a backoff, or failure for good and its alert."""
    run.error = error
    if run.attempt < run.max_retries and not run.cancel_requested:
        delay = float(settings.pipeline_retry_seconds * 2 ** (run.attempt - 1))
        run.status = RunStatus.RETRYING
        await hand_over(session, run, delay)
        book.write(
            "warning", f"Attempt {run.attempt} failed; attempt {run.attempt + 1} in {delay:g} s"
        )
        return
    run.status = RunStatus.FAILED
    run.finished_at = utcnow()
    run.state = {**run.state, "error_code": code}
    book.write("error", f"Failed after {run.attempt} attempt(s)", context={"error_code": code})
    await emit(session, EventType.PIPELINE_EXECUTION_FAILED, _event(pipeline, run))
    await failures.failed(session, pipeline, run, code)
    await notifications.enqueue_for(session, pipeline, run)


async def _interrupted(
    session: AsyncSession, settings: Settings, run: Run, pipeline: Pipeline | None, book: RunLogBook
) -> None:
    error = "the worker stopped while this attempt ran; the next attempt rewrites its rows"
    now = utcnow()
    for task in await repository.tasks(session, [run.id]):
        if task.attempt == run.attempt and task.status == TaskStatus.RUNNING:
            task.status, task.error, task.finished_at = TaskStatus.UNKNOWN, error, now
    book.write("error", f"Attempt {run.attempt}: {error}")
    if pipeline is None:
        run.status, run.error, run.finished_at = RunStatus.FAILED, "the pipeline was deleted", now
        return
    await after_failure(session, settings, run, pipeline, error, "WORKER_LOST", book)
    progress.publish(session, run)


def _event(pipeline: Pipeline, run: Run) -> dict[str, Any]:
    duration = (
        round((run.finished_at - run.started_at).total_seconds())
        if run.finished_at and run.started_at
        else None
    )
    return {
        "pipeline": {"id": str(pipeline.id), "name": pipeline.name},
        "run": {
            "id": str(run.id),
            "status": progress.state_of(run),
            "trigger_type": run.trigger,
            "attempt": run.attempt,
            "started_at": run.started_at,
            "completed_at": run.finished_at,
            "duration": duration,
            "metrics": run.result,
            "error": run.error,
        },
    }


@dataclass
class Preflight:
    """What `check_columns` needs, read in the request's transaction (the check itself runs
    after it, so no transaction is held while the source answers)."""

    steps: list[tuple[int, Step]]
    extract_context: StepContext
    plugin: ConnectorPlugin | None


async def preflight(
    session: AsyncSession, settings: Settings, pipeline: Pipeline
) -> Preflight | None:
    steps = await repository.steps(session, pipeline.id)
    if not steps or steps[0].step_type != "extract":
        return None
    built: list[tuple[int, Step]] = []
    for position, spec in enumerate(steps):
        cls = step_types.find(spec.kind)
        if cls is None:
            return None
        built.append((position, cls.create(spec.config)))
    first = steps[0]
    plugin = None
    if first.connector_id is not None:
        try:
            plugin = connectors.plugin(
                await repository.connector(session, first.connector_id), settings
            )
        except ConnectorFailed:
            return None
    context = StepContext(
        run_id=uuid.uuid4(),
        pipeline_id=pipeline.id,
        connector=plugin,
        variables=_variables(Run(parameters={}), pipeline, utcnow()),
        log=lambda level, message, context: None,
    )
    return Preflight(built, context, plugin)


PREFLIGHT_SECONDS = 10.0


async def check_columns(found: Preflight) -> None:
    """A transform naming a column the extract does not give is a 400 before the run exists
    (when the source can tell its columns without reading the data; else the run's first
    batch fails the same way, before any load)."""
    try:
        extract = found.steps[0][1]
        assert isinstance(extract, Extract)
        try:
            async with asyncio.timeout(PREFLIGHT_SECONDS):
                columns = await extract.columns(found.extract_context)
        except (StepFailed, ConnectorFailed, TimeoutError, OSError):
            return  # the source cannot tell now: the run will say what is wrong
        if columns is None:
            return
        for position, step in found.steps[1:]:
            if isinstance(step, Transform):
                try:
                    columns = step.output_columns(columns)
                except StepFailed as exc:
                    raise PipelineInvalid(
                        f"steps[{position}].config.transformations", str(exc)
                    ) from None
    finally:
        if found.plugin is not None:
            with contextlib.suppress(Exception):
                await found.plugin.close()
