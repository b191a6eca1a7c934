"""Who may do what with telemetry: reading metrics and rules is `incident:read` (viewers), sending
metrics and changing rules `incident:write` (responders; a machine sender's token needs only that
scope), the org's retention `admin`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from imas.api.deps import require
from imas.auth.scopes import ADMIN, INCIDENT_READ, INCIDENT_WRITE
from imas.auth.service import Principal

Reader = Annotated[Principal, Depends(require(INCIDENT_READ))]
Writer = Annotated[Principal, Depends(require(INCIDENT_WRITE))]
Admin = Annotated[Principal, Depends(require(ADMIN))]
