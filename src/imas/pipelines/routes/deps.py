"""Who may do what with pipelines."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from imas.api.deps import require
from imas.auth.scopes import PIPELINE_EXECUTE, PIPELINE_READ, PIPELINE_WRITE
from imas.auth.service import Principal

Reader = Annotated[Principal, Depends(require(PIPELINE_READ))]
Writer = Annotated[Principal, Depends(require(PIPELINE_WRITE))]
Executor = Annotated[Principal, Depends(require(PIPELINE_EXECUTE))]
