"""Who may do what with automation."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from imas.api.deps import require
from imas.auth.scopes import ADMIN, AUTOMATION_EXECUTE, INCIDENT_READ
from imas.auth.service import Principal

Reader = Annotated[Principal, Depends(require(INCIDENT_READ))]
Executor = Annotated[Principal, Depends(require(AUTOMATION_EXECUTE))]
Admin = Annotated[Principal, Depends(require(ADMIN))]
