"""Who may use the catalog: anyone who reads incidents reads it; admins change it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from imas.api.deps import require
from imas.auth.scopes import ADMIN, INCIDENT_READ
from imas.auth.service import Principal

Reader = Annotated[Principal, Depends(require(INCIDENT_READ))]
Admin = Annotated[Principal, Depends(require(ADMIN))]
