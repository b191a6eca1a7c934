"""`/api/v1/automation/executors/` and `/policies/`: what admins set up (credentials are
write-only)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from imas.api.deps import SessionDep, SettingsDep
from imas.api.pagination import Page, PageParams, page_params, paginate
from imas.automation import presenters, repository
from imas.automation.routes.deps import Admin, Reader
from imas.automation.schemas import (
    ExecutorRead,
    ExecutorUpdate,
    ExecutorWrite,
    PolicyRead,
    PolicyWrite,
)
from imas.automation.service import config

router = APIRouter(prefix="/api/v1/automation", tags=["automation"])


@router.get("/executors/", response_model=Page[ExecutorRead], summary="List executors")
async def list_executors(
    request: Request,
    session: SessionDep,
    _: Reader,
    pages: Annotated[PageParams, Depends(page_params)],
) -> Page[ExecutorRead]:
    return await paginate(session, repository.executors(), pages, request, presenters.executor)


@router.post(
    "/executors/",
    response_model=ExecutorRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create an executor (admins; credentials stored encrypted, never returned)",
)
async def create_executor(
    data: ExecutorWrite, session: SessionDep, settings: SettingsDep, _: Admin
) -> ExecutorRead:
    return presenters.executor(await config.create_executor(session, data, settings))


@router.get("/executors/{executor_id}/", response_model=ExecutorRead, summary="An executor")
async def get_executor(executor_id: uuid.UUID, session: SessionDep, _: Reader) -> ExecutorRead:
    return presenters.executor(await repository.executor(session, executor_id))


@router.patch(
    "/executors/{executor_id}/", response_model=ExecutorRead, summary="Change an executor"
)
async def update_executor(
    executor_id: uuid.UUID,
    data: ExecutorUpdate,
    session: SessionDep,
    settings: SettingsDep,
    _: Admin,
) -> ExecutorRead:
    executor = await repository.executor(session, executor_id)
    return presenters.executor(await config.update_executor(session, executor, data, settings))


@router.delete(
    "/executors/{executor_id}/",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete an executor",
)
async def delete_executor(executor_id: uuid.UUID, session: SessionDep, _: Admin) -> Response:
    await session.delete(await repository.executor(session, executor_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/policies/", response_model=Page[PolicyRead], summary="List policies")
async def list_policies(
    request: Request,
    session: SessionDep,
    _: Reader,
    pages: Annotated[PageParams, Depends(page_params)],
) -> Page[PolicyRead]:
    return await paginate(session, repository.policies(), pages, request, presenters.policy)


@router.post(
    "/policies/",
    response_model=PolicyRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a policy: auto-remediation, or approval required (admins)",
)
async def create_policy(data: PolicyWrite, session: SessionDep, _: Admin) -> PolicyRead:
    return presenters.policy(await config.create_policy(session, data))


@router.get("/policies/{policy_id}/", response_model=PolicyRead, summary="A policy")
async def get_policy(policy_id: uuid.UUID, session: SessionDep, _: Reader) -> PolicyRead:
    return presenters.policy(await repository.policy(session, policy_id))


@router.put("/policies/{policy_id}/", response_model=PolicyRead, summary="Replace a policy")
async def update_policy(
    policy_id: uuid.UUID, data: PolicyWrite, session: SessionDep, _: Admin
) -> PolicyRead:
    policy = await repository.policy(session, policy_id)
    return presenters.policy(await config.update_policy(session, policy, data))


@router.delete(
    "/policies/{policy_id}/",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a policy",
)
async def delete_policy(policy_id: uuid.UUID, session: SessionDep, _: Admin) -> Response:
    await session.delete(await repository.policy(session, policy_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
