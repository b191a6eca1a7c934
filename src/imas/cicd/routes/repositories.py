"""`/api/v1/ci/repositories/`: the repositories whose webhooks IMAS records (admins only)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from imas.api.deps import SessionDep, SettingsDep
from imas.api.pagination import Page, PageParams, page_params, paginate
from imas.cicd import presenters, repository
from imas.cicd.models import Provider
from imas.cicd.routes.deps import Admin
from imas.cicd.schemas import (
    RepositoryCreate,
    RepositoryRead,
    RepositoryUpdate,
    RepositoryWithSecret,
)
from imas.cicd.service import repositories as service

router = APIRouter(prefix="/api/v1/ci/repositories", tags=["ci/cd"])


@router.get("/", response_model=Page[RepositoryRead], summary="List CI repositories")
async def list_repositories(
    request: Request,
    session: SessionDep,
    _: Admin,
    pages: Annotated[PageParams, Depends(page_params)],
    provider: Provider | None = None,
    service: Annotated[uuid.UUID | None, Query(description="Service id")] = None,
) -> Page[RepositoryRead]:
    stmt = repository.ci_repositories(provider=provider, service_id=service)
    return await paginate(session, stmt, pages, request, presenters.repository)


@router.post(
    "/",
    response_model=RepositoryWithSecret,
    status_code=status.HTTP_201_CREATED,
    summary="Configure a repository (the answer holds its webhook secret, shown only here)",
)
async def create_repository(
    data: RepositoryCreate, session: SessionDep, settings: SettingsDep, principal: Admin
) -> RepositoryWithSecret:
    repo, secret = await service.create(session, data, principal.user, settings)
    return presenters.with_secret(repo, secret)


@router.get("/{repository_id}/", response_model=RepositoryRead, summary="Get a CI repository")
async def get_repository(repository_id: uuid.UUID, session: SessionDep, _: Admin) -> RepositoryRead:
    return presenters.repository(await repository.ci_repository(session, repository_id))


@router.patch("/{repository_id}/", response_model=RepositoryRead, summary="Change a repository")
async def update_repository(
    repository_id: uuid.UUID, data: RepositoryUpdate, session: SessionDep, _: Admin
) -> RepositoryRead:
    repo = await repository.ci_repository(session, repository_id)
    return presenters.repository(await service.update(session, repo, data))


@router.post(
    "/{repository_id}/rotate-secret/",
    response_model=RepositoryWithSecret,
    summary="A new webhook secret (shown only here); the old one stops working",
)
async def rotate_secret(
    repository_id: uuid.UUID, session: SessionDep, settings: SettingsDep, _: Admin
) -> RepositoryWithSecret:
    repo = await repository.ci_repository(session, repository_id)
    secret = await service.rotate_secret(session, repo, settings)
    return presenters.with_secret(repo, secret)


@router.delete(
    "/{repository_id}/",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Stop recording a repository (its runs are deleted)",
)
async def delete_repository(repository_id: uuid.UUID, session: SessionDep, _: Admin) -> Response:
    await service.delete(session, await repository.ci_repository(session, repository_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
