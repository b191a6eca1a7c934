"""`/api/v1/organizations/`: the caller's organizations (seed: etl-platform-api)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from imas.api.deps import CurrentPrincipal, SessionDep
from imas.api.filtering import apply_ordering, apply_search
from imas.api.pagination import Page, PageParams, page_params, paginate
from imas.auth.scopes import ADMIN
from imas.errors import NotFound, PermissionDenied
from imas.orgs import repository, service
from imas.orgs.models import Organization, Role
from imas.orgs.schemas import OrganizationCreate, OrganizationRead, OrganizationUpdate

router = APIRouter(prefix="/api/v1/organizations", tags=["organizations"])

_ORDERING = {
    "name": Organization.name,
    "slug": Organization.slug,
    "created_at": Organization.created_at,
}


def _read(org: Organization, role: str | None) -> OrganizationRead:
    out = OrganizationRead.model_validate(org)
    out.role = Role(role) if role else None
    return out


@router.get("/", response_model=Page[OrganizationRead], summary="List your organizations")
async def list_organizations(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    pages: Annotated[PageParams, Depends(page_params)],
    search: Annotated[str | None, Query(description="Match in name or slug")] = None,
    ordering: Annotated[
        str | None, Query(description="name, slug, created_at; '-' for descending")
    ] = None,
) -> Page[OrganizationRead]:
    stmt = repository.organizations_of(principal.user.id)
    stmt = apply_search(stmt, search, [Organization.name, Organization.slug])
    stmt = apply_ordering(stmt, ordering, _ORDERING, "name", Organization.id)
    roles = await repository.roles_of(session, principal.user.id)
    return await paginate(session, stmt, pages, request, lambda org: _read(org, roles.get(org.id)))


@router.post(
    "/",
    response_model=OrganizationRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create an organization (you become its admin)",
)
async def create_organization(
    data: OrganizationCreate, session: SessionDep, principal: CurrentPrincipal
) -> OrganizationRead:
    org = await service.create_organization(session, principal.user, data)
    return _read(org, Role.ADMIN)


async def _mine(
    session: SessionDep, principal: CurrentPrincipal, org_id: uuid.UUID
) -> tuple[Organization, str]:
    found = await repository.organization_of(session, principal.user.id, org_id)
    if found is None:
        raise NotFound.of("organization", org_id)
    return found[0], found[1].role


@router.get("/{org_id}/", response_model=OrganizationRead, summary="An organization you belong to")
async def get_organization(
    org_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> OrganizationRead:
    org, role = await _mine(session, principal, org_id)
    return _read(org, role)


@router.patch(
    "/{org_id}/", response_model=OrganizationRead, summary="Rename or reconfigure (admins)"
)
async def update_organization(
    org_id: uuid.UUID, data: OrganizationUpdate, session: SessionDep, principal: CurrentPrincipal
) -> OrganizationRead:
    org, role = await _mine(session, principal, org_id)
    # The role in that organization, and a credential allowed to administer (a token limited
    # to read scopes must not reconfigure anything).
    principal.require(ADMIN)
    if role != Role.ADMIN:
        raise PermissionDenied(
            "Only an admin of this organization may change it.", details={"required_role": "admin"}
        )
    org = await service.update_organization(session, org, data)
    return _read(org, role)
