"""Pipelines and their steps: each step resolved to the step type that executes it and its
configuration validated by that type, so a saved pipeline can run; the schedule validated and
armed (`schedule.arm`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.catalog.models import Service
from imas.errors import Conflict, NotFound
from imas.orgs.models import User
from imas.pipelines import repository
from imas.pipelines.connectors import registry as connector_types
from imas.pipelines.exceptions import PipelineInvalid
from imas.pipelines.models import Connector, Pipeline, PipelineStep
from imas.pipelines.schemas import PipelineConfig, PipelineCreate, PipelineUpdate, StepIn
from imas.pipelines.service import schedule
from imas.pipelines.steps import registry as step_types
from imas.repository import save_unique

ROLES = ("extract", "transform", "load")


def check_config(config: PipelineConfig) -> None:
    if config.schedule is not None and not croniter.is_valid(config.schedule):
        raise PipelineInvalid("config.schedule", "Invalid cron expression")
    try:
        ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise PipelineInvalid("config.timezone", f"Unknown time zone '{config.timezone}'") from None


async def _service_id(session: AsyncSession, ref: str | None) -> uuid.UUID | None:
    if not ref:
        return None
    try:
        by_id: Any = Service.id == uuid.UUID(ref)
    except ValueError:
        by_id = False
    found = await session.scalar(select(Service.id).where(or_(by_id, Service.name == ref)))
    if found is None:
        raise NotFound(
            f"No service '{ref}' exists in this organization.",
            details={"resource": "service", "id": ref},
        )
    return found


async def _connector_of(
    session: AsyncSession, config: dict[str, Any], field: str
) -> Connector | None:
    given = config.get("connector_id")
    if given is None:
        return None
    try:
        return await repository.connector(session, str(given))
    except NotFound:
        raise NotFound(
            f"{field}.config.connector_id: no connector with id {given} exists in this "
            "organization.",
            details={
                "resource": "connector",
                "id": str(given),
                "field": f"{field}.config.connector_id",
            },
        ) from None


def _kind(step: StepIn, connector: Connector | None, field: str) -> str:
    if step_types.find(step.step_type) is not None:
        return step.step_type
    if step.step_type == "transform":
        return "transform"
    if step.step_type not in ROLES:
        raise PipelineInvalid(
            f"{field}.step_type",
            f"unknown step type '{step.step_type}'; use one of: "
            + ", ".join([*ROLES, *step_types.kinds()]),
        )
    if connector is None:
        raise PipelineInvalid(
            f"{field}.config.connector_id", f"an {step.step_type} step needs a connector_id"
        )
    cls = connector_types.find(connector.connector_type)
    family = cls.family if cls is not None else connector.connector_type
    return f"{family}_{step.step_type}"


async def resolve_steps(session: AsyncSession, given: Sequence[StepIn]) -> list[PipelineStep]:
    """The steps to save, in order, each with its step type and validated config. The first
    step of a pipeline is its one extract step; transforms and loads follow in any order (a
    transform changes what the loads after it receive)."""
    indexes = [s.order_index for s in given]
    if len(set(indexes)) != len(indexes):
        raise PipelineInvalid("steps", "two steps have the same order_index")
    found: list[PipelineStep] = []
    for position, step in enumerate(sorted(given, key=lambda s: s.order_index)):
        field = f"steps[{position}]"
        connector = await _connector_of(session, step.config, field)
        kind = _kind(step, connector, field)
        cls = step_types.find(kind)
        if cls is None:
            raise PipelineInvalid(f"{field}.step_type", f"no step type '{kind}' is available")
        if (position == 0) != (cls.role == "extract"):
            issue = (
                "the first step must be an extract step"
                if position == 0
                else "a pipeline has one extract step, its first"
            )
            raise PipelineInvalid(f"{field}.step_type", issue)
        try:
            config = cls.Config.model_validate(step.config)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error["loc"])
            raise PipelineInvalid(
                f"{field}.config" + (f".{where}" if where else ""), str(error["msg"])
            ) from None
        if cls.connector_family is not None:
            family = getattr(
                connector_types.find(connector.connector_type if connector else ""), "family", None
            )
            if connector is None or family != cls.connector_family:
                raise PipelineInvalid(
                    f"{field}.config.connector_id",
                    f"a {kind} step needs a {cls.connector_family} connector",
                )
        found.append(
            PipelineStep(
                name=step.name,
                step_type=cls.role,
                kind=kind,
                order_index=step.order_index,
                config=config.model_dump(mode="json", exclude_unset=True, by_alias=True),
                connector_id=connector.id if connector else None,
            )
        )
    return found


async def _saved(session: AsyncSession, change: Callable[[], None], name: str) -> None:
    conflict = Conflict(f"A pipeline named '{name}' already exists.", details={"name": name})
    await save_unique(session, change, conflict)


async def create(session: AsyncSession, data: PipelineCreate, actor: User) -> Pipeline:
    check_config(data.config)
    steps = await resolve_steps(session, data.steps)
    pipeline = Pipeline(
        name=data.name,
        description=data.description,
        status=data.status,
        config=data.config.model_dump(mode="json"),
        severity=data.severity,
        service_id=await _service_id(session, data.service),
        created_by_id=actor.id,
    )

    def add() -> None:
        session.add(pipeline)

    await _saved(session, add, data.name)
    for step in steps:
        step.pipeline_id = pipeline.id
        session.add(step)
    await session.flush()
    await schedule.arm(session, pipeline)
    return pipeline


async def update(session: AsyncSession, pipeline: Pipeline, data: PipelineUpdate) -> Pipeline:
    given = data.model_dump(exclude_unset=True, exclude={"steps", "config", "service"})
    if data.config is not None:
        check_config(data.config)
        given["config"] = data.config.model_dump(mode="json")
    if "service" in data.model_fields_set:
        given["service_id"] = await _service_id(session, data.service)
    steps = await resolve_steps(session, data.steps) if data.steps is not None else None
    rearm = "config" in given or "status" in given

    def change() -> None:
        for key, value in given.items():
            setattr(pipeline, key, value)

    await _saved(session, change, data.name or pipeline.name)
    if steps is not None:
        for old in await repository.steps(session, pipeline.id):
            await session.delete(old)
        await session.flush()
        for step in steps:
            step.pipeline_id = pipeline.id
            session.add(step)
        await session.flush()
    if rearm:
        await schedule.arm(session, pipeline)
    return pipeline


async def delete(session: AsyncSession, pipeline: Pipeline) -> None:
    if await repository.active_run(session, pipeline.id) is not None:
        raise Conflict("The pipeline has a run in progress: stop it first.")
    await session.delete(pipeline)
    await session.flush()
