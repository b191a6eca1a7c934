"""Annotated dependencies of the incident routes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path

from imas.api.deps import SessionDep, require
from imas.auth.scopes import INCIDENT_DELETE, INCIDENT_READ, INCIDENT_WRITE
from imas.auth.service import Principal
from imas.incidents import repository
from imas.incidents.presenters import View

Reader = Annotated[Principal, Depends(require(INCIDENT_READ))]
Writer = Annotated[Principal, Depends(require(INCIDENT_WRITE))]
Deleter = Annotated[Principal, Depends(require(INCIDENT_DELETE))]

IncidentRef = Annotated[
    str, Path(description="The incident's id (UUID) or short id (INC-XXXXXX)", max_length=64)
]


async def incident_id(incident: IncidentRef, session: SessionDep, _: Reader) -> uuid.UUID:
    """The UUID of the incident named in the path (404 when it is not in your organization)."""
    found = await repository.get(session, incident, options=())
    return found.id


IncidentId = Annotated[uuid.UUID, Depends(incident_id)]


async def view(session: SessionDep) -> View:
    return View(policies=await repository.sla_policies(session))


ViewDep = Annotated[View, Depends(view)]
