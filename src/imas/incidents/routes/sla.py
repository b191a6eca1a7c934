"""`/api/v1/sla-policies/`: acknowledgement and resolution targets per severity."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from imas.api.deps import SessionDep, require
from imas.auth.scopes import ADMIN
from imas.auth.service import Principal
from imas.incidents import service
from imas.incidents.deps import Reader
from imas.incidents.models import Severity
from imas.incidents.schemas import SlaPolicyRead, SlaPolicyUpdate

router = APIRouter(prefix="/api/v1/sla-policies", tags=["incidents"])


@router.get("/", response_model=list[SlaPolicyRead], summary="Targets of every severity")
async def list_policies(session: SessionDep, _: Reader) -> list[SlaPolicyRead]:
    return await service.list_policies(session)


@router.put(
    "/{severity}/", response_model=SlaPolicyRead, summary="Set a severity's targets (admins)"
)
async def set_policy(
    severity: Severity,
    data: SlaPolicyUpdate,
    session: SessionDep,
    _: Annotated[Principal, Depends(require(ADMIN))],
) -> SlaPolicyRead:
    return await service.set_policy(session, severity, data)
