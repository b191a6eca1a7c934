"""`/api/v1/users/`: members of the current organization, and `/users/me/` (seed: opssight)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from imas.api.deps import CurrentPrincipal, SessionDep, require
from imas.api.filtering import apply_ordering, apply_search
from imas.api.pagination import Page, PageParams, page_params, paginate
from imas.auth.github import service as github
from imas.auth.scopes import ADMIN
from imas.auth.service import Principal
from imas.orgs import repository, service
from imas.orgs.models import Membership, Role, User
from imas.orgs.schemas import MeRead, MeUpdate, OrganizationRef, UserCreate, UserRead, UserUpdate

router = APIRouter(prefix="/api/v1/users", tags=["users"])
AdminPrincipal = Annotated[Principal, Depends(require(ADMIN))]

_ORDERING = {
    "username": User.username,
    "name": User.name,
    "email": User.email,
    "role": Membership.role,
    "created_at": User.created_at,
}


def _read(user: User, role: str) -> UserRead:
    return UserRead(
        id=user.id,
        username=user.username,
        login=user.username,
        name=user.name,
        email=user.email,
        avatar_url=user.avatar_url,
        role=Role(role),
        is_active=user.is_active,
        created_at=user.created_at,
        updated_at=user.updated_at,
    )


async def _me(session: AsyncSession, principal: Principal) -> MeRead:
    base = _read(principal.user, principal.role)
    base.login = await github.login_of(session, principal.user)
    return MeRead(
        **base.model_dump(),
        permissions=sorted(principal.scopes),
        organization=OrganizationRef.model_validate(principal.organization),
    )


@router.get("/me/", response_model=MeRead, summary="Your profile and permissions")
async def get_me(session: SessionDep, principal: CurrentPrincipal) -> MeRead:
    return await _me(session, principal)


@router.put("/me/", response_model=MeRead, summary="Update your name, e-mail or avatar")
async def update_me(data: MeUpdate, session: SessionDep, principal: CurrentPrincipal) -> MeRead:
    await service.update_profile(session, principal.user, data)
    return await _me(session, principal)


@router.get("/", response_model=Page[UserRead], summary="Members of your organization")
async def list_users(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    pages: Annotated[PageParams, Depends(page_params)],
    role: Annotated[Role | None, Query()] = None,
    is_active: Annotated[bool | None, Query()] = None,
    search: Annotated[str | None, Query(description="Match in username, name or e-mail")] = None,
    ordering: Annotated[
        str | None, Query(description="username, name, email, role, created_at")
    ] = None,
) -> Page[UserRead]:
    stmt = repository.members()
    if role is not None:
        stmt = stmt.where(Membership.role == role)
    if is_active is not None:
        stmt = stmt.where(User.is_active == is_active)
    stmt = apply_search(stmt, search, [User.username, User.name, User.email])
    stmt = apply_ordering(stmt, ordering, _ORDERING, "username", Membership.id)
    return await paginate(session, stmt, pages, request, lambda m: _read(m.user, m.role))


@router.post(
    "/",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a user in your organization (admins)",
)
async def create_user(data: UserCreate, session: SessionDep, principal: AdminPrincipal) -> UserRead:
    membership = await service.create_user(session, principal.organization.id, data)
    return _read(membership.user, membership.role)


@router.get("/{user_id}/", response_model=UserRead, summary="A member of your organization")
async def get_user(
    user_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> UserRead:
    membership = await service.get_member(session, user_id)
    return _read(membership.user, membership.role)


@router.patch(
    "/{user_id}/", response_model=UserRead, summary="Change a member's role or profile (admins)"
)
async def update_user(
    user_id: uuid.UUID, data: UserUpdate, session: SessionDep, principal: AdminPrincipal
) -> UserRead:
    membership = await service.get_member(session, user_id)
    membership = await service.update_member(session, membership, data)
    return _read(membership.user, membership.role)


@router.delete(
    "/{user_id}/",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Remove a member from your organization (admins)",
)
async def remove_user(
    user_id: uuid.UUID, session: SessionDep, principal: AdminPrincipal
) -> Response:
    membership = await service.get_member(session, user_id)
    await service.remove_member(session, membership)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
