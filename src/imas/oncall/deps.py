"""Who may use on-call: anyone who reads incidents reads schedules and policies; admins change
them; everyone manages their own contact methods and rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from imas.api.deps import require
from imas.auth.scopes import ADMIN, INCIDENT_READ
from imas.auth.service import Principal

Reader = Annotated[Principal, Depends(require(INCIDENT_READ))]
Admin = Annotated[Principal, Depends(require(ADMIN))]
