"""`/api/v1/escalation-policies/`: who is paged, in which order, after how long."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from imas.api.deps import SessionDep
from imas.api.filtering import apply_ordering, apply_search
from imas.api.pagination import Page, PageParams, page_params, paginate
from imas.oncall import repository
from imas.oncall.deps import Admin, Reader
from imas.oncall.models import EscalationPolicy
from imas.oncall.schemas import PolicyCreate, PolicyRead, PolicyUpdate
from imas.oncall.service import policies as service

router = APIRouter(prefix="/api/v1/escalation-policies", tags=["escalation policies"])

_ORDERING = {
    "name": EscalationPolicy.name,
    "created_at": EscalationPolicy.created_at,
    "updated_at": EscalationPolicy.updated_at,
}


@router.get("/", response_model=Page[PolicyRead], summary="List escalation policies")
async def list_policies(
    request: Request,
    session: SessionDep,
    principal: Reader,
    pages: Annotated[PageParams, Depends(page_params)],
    search: Annotated[str | None, Query(description="Match in name or description")] = None,
    ordering: Annotated[
        str | None, Query(description="name, created_at, updated_at; '-' for descending")
    ] = None,
) -> Page[PolicyRead]:
    stmt = repository.policies()
    stmt = apply_search(stmt, search, [EscalationPolicy.name, EscalationPolicy.description])
    stmt = apply_ordering(stmt, ordering, _ORDERING, "name", EscalationPolicy.id)
    return await paginate(session, stmt, pages, request, PolicyRead.model_validate)


@router.post(
    "/", response_model=PolicyRead, status_code=status.HTTP_201_CREATED, summary="Create one"
)
async def create_policy(data: PolicyCreate, session: SessionDep, principal: Admin) -> PolicyRead:
    return PolicyRead.model_validate(await service.create_policy(session, data))


@router.get("/{policy_id}/", response_model=PolicyRead, summary="An escalation policy")
async def get_policy(policy_id: uuid.UUID, session: SessionDep, principal: Reader) -> PolicyRead:
    return PolicyRead.model_validate(await service.get_policy(session, policy_id))


@router.patch("/{policy_id}/", response_model=PolicyRead, summary="Change some fields")
async def update_policy(
    policy_id: uuid.UUID, data: PolicyUpdate, session: SessionDep, principal: Admin
) -> PolicyRead:
    policy = await service.get_policy(session, policy_id)
    return PolicyRead.model_validate(await service.update_policy(session, policy, data))


@router.put("/{policy_id}/", response_model=PolicyRead, summary="Replace a policy")
async def replace_policy(
    policy_id: uuid.UUID, data: PolicyCreate, session: SessionDep, principal: Admin
) -> PolicyRead:
    policy = await service.get_policy(session, policy_id)
    update = PolicyUpdate.model_validate(data.model_dump())
    return PolicyRead.model_validate(await service.update_policy(session, policy, update))


@router.delete(
    "/{policy_id}/",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a policy (its services keep running without one)",
)
async def delete_policy(policy_id: uuid.UUID, session: SessionDep, principal: Admin) -> Response:
    await service.delete_policy(session, await service.get_policy(session, policy_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
