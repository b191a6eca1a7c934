"""`/api/v1/telemetry/rules/`: alert rules on custom metrics, and "test this rule now"."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from imas.api.deps import SessionDep
from imas.api.pagination import Page, PageParams, page_params, paginate
from imas.db import utcnow
from imas.telemetry import presenters, repository
from imas.telemetry.routes.deps import Reader, Writer
from imas.telemetry.schemas import RuleCreate, RuleRead, RuleTestResult, RuleUpdate
from imas.telemetry.service import rules as service
from imas.telemetry.service.evaluate import evaluate

router = APIRouter(prefix="/api/v1/telemetry/rules", tags=["telemetry"])


async def _read(session: SessionDep, rule_id: uuid.UUID) -> RuleRead:
    rule = await repository.rule(session, rule_id)
    return presenters.rule(rule, await repository.states(session, [rule.id]))


@router.get("/", response_model=Page[RuleRead], summary="List alert rules")
async def list_rules(
    request: Request,
    session: SessionDep,
    _: Reader,
    pages: Annotated[PageParams, Depends(page_params)],
    enabled: bool | None = None,
    metric_name: Annotated[str | None, Query(max_length=200)] = None,
    severity: Annotated[str | None, Query(max_length=20)] = None,
    search: Annotated[str | None, Query(max_length=200, description="In name, metric")] = None,
    ordering: Annotated[
        str | None, Query(max_length=50, description="name, created_at, severity (- for desc)")
    ] = None,
) -> Page[RuleRead]:
    stmt = repository.rules(
        enabled=enabled,
        metric_name=metric_name,
        severity=severity,
        search=search,
        ordering=ordering,
    )
    page = await paginate(session, stmt, pages, request, presenters.rule)
    states = await repository.states(session, [r.id for r in page.results])
    presenters.fill_states(page.results, states)
    return page


@router.post(
    "/",
    response_model=RuleRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create an alert rule (evaluated every `interval` once enabled)",
)
async def create_rule(data: RuleCreate, session: SessionDep, principal: Writer) -> RuleRead:
    return presenters.rule(await service.create(session, data, principal.user))


@router.get("/{rule_id}/", response_model=RuleRead, summary="Get an alert rule and its series")
async def get_rule(rule_id: uuid.UUID, session: SessionDep, _: Reader) -> RuleRead:
    return await _read(session, rule_id)


async def _update(rule_id: uuid.UUID, data: RuleUpdate, session: SessionDep) -> RuleRead:
    rule = await service.update(session, await repository.rule(session, rule_id), data)
    return presenters.rule(rule, await repository.states(session, [rule.id]))


@router.patch("/{rule_id}/", response_model=RuleRead, summary="Change an alert rule")
async def patch_rule(
    rule_id: uuid.UUID, data: RuleUpdate, session: SessionDep, _: Writer
) -> RuleRead:
    return await _update(rule_id, data, session)


@router.put("/{rule_id}/", response_model=RuleRead, summary="Change an alert rule")
async def put_rule(
    rule_id: uuid.UUID, data: RuleUpdate, session: SessionDep, _: Writer
) -> RuleRead:
    return await _update(rule_id, data, session)


@router.delete(
    "/{rule_id}/",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete an alert rule (its firing alerts resolve)",
)
async def delete_rule(rule_id: uuid.UUID, session: SessionDep, _: Writer) -> Response:
    await service.delete(session, await repository.rule(session, rule_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{rule_id}/test/",
    response_model=RuleTestResult,
    summary="Evaluate the rule now without changing anything: each series' value and the "
    "state it would move to",
)
async def try_rule(rule_id: uuid.UUID, session: SessionDep, _: Writer) -> RuleTestResult:
    rule = await repository.rule(session, rule_id)
    return await evaluate(session, rule, utcnow(), dry_run=True)
