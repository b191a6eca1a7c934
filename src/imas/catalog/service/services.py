"""Services: create, edit, delete; the owning team must be one of the organization's."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from imas.catalog import lookups, repository
from imas.catalog.models import Service, Team
from imas.catalog.schemas.services import ServiceCreate, ServiceUpdate
from imas.catalog.service.common import delete, save_named
from imas.oncall.service import policies
from imas.repository import get_or_404

THING = "Service"


async def get_service(session: AsyncSession, service_id: uuid.UUID) -> Service:
    return await get_or_404(session, Service, service_id, "service", repository.SERVICE_LOAD)


async def _owner(session: AsyncSession, team_id: uuid.UUID | None) -> Team | None:
    return None if team_id is None else await lookups.team_ref(session, team_id, "owner_team")


async def _policy(session: AsyncSession, policy_id: uuid.UUID | None) -> uuid.UUID | None:
    if policy_id is None:
        return None
    return (await policies.policy_ref(session, policy_id, "escalation_policy")).id


async def create_service(session: AsyncSession, data: ServiceCreate) -> Service:
    service = Service(
        name=data.name,
        owner_team=await _owner(session, data.owner_team),
        criticality=data.criticality,
        runbook_url=data.runbook_url,
        description=data.description,
        escalation_policy_id=await _policy(session, data.escalation_policy),
    )
    await save_named(session, service, THING)
    return service


async def update_service(session: AsyncSession, service: Service, data: ServiceUpdate) -> Service:
    """Change the fields `data` sets (`service` loaded with its owner team)."""
    given = data.model_fields_set
    if "owner_team" in given:
        service.owner_team = await _owner(session, data.owner_team)
    if data.name is not None:
        service.name = data.name
    if data.criticality is not None:
        service.criticality = data.criticality
    if "runbook_url" in given:
        service.runbook_url = data.runbook_url
    if data.description is not None:
        service.description = data.description
    if "escalation_policy" in given:
        service.escalation_policy_id = await _policy(session, data.escalation_policy)
    await save_named(session, service, THING)
    return service


async def delete_service(session: AsyncSession, service: Service) -> None:
    """Refused (409) while incidents refer to it: their history needs the service. Runbooks of
    the service are kept, without a service."""
    await delete(session, service, THING, in_use="incidents refer to it")
