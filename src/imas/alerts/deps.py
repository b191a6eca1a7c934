"""Who may use the alert routes: readers of incidents read alerts, integrations and silences;
responders (incident:write) act on alerts and silences; admins manage integrations."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from imas.api.deps import require
from imas.auth.scopes import ADMIN, INCIDENT_READ, INCIDENT_WRITE
from imas.auth.service import Principal

Reader = Annotated[Principal, Depends(require(INCIDENT_READ))]
Responder = Annotated[Principal, Depends(require(INCIDENT_WRITE))]
Admin = Annotated[Principal, Depends(require(ADMIN))]
