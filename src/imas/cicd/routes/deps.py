"""Who may do what with CI/CD: anyone who reads pipelines reads runs and changes; configuring
repositories (and seeing their secrets) is for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from imas.api.deps import require
from imas.auth.scopes import ADMIN, PIPELINE_READ
from imas.auth.service import Principal

Reader = Annotated[Principal, Depends(require(PIPELINE_READ))]
Admin = Annotated[Principal, Depends(require(ADMIN))]
