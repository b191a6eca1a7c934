"""Request and response models of the catalog, one module per noun."""

from imas.catalog.schemas.common import ServiceRef, TeamRef, UserRef
from imas.catalog.schemas.impact_scopes import (
    ImpactScopeCreate,
    ImpactScopeRead,
    ImpactScopeUpdate,
)
from imas.catalog.schemas.runbooks import (
    RunbookCreate,
    RunbookRead,
    RunbookUpdate,
    StepIn,
    StepRead,
)
from imas.catalog.schemas.services import ServiceCreate, ServiceRead, ServiceUpdate
from imas.catalog.schemas.tags import TagCreate, TagRead, TagUpdate
from imas.catalog.schemas.teams import TeamCreate, TeamRead, TeamUpdate

__all__ = [
    "ImpactScopeCreate",
    "ImpactScopeRead",
    "ImpactScopeUpdate",
    "RunbookCreate",
    "RunbookRead",
    "RunbookUpdate",
    "ServiceCreate",
    "ServiceRead",
    "ServiceRef",
    "ServiceUpdate",
    "StepIn",
    "StepRead",
    "TagCreate",
    "TagRead",
    "TagUpdate",
    "TeamCreate",
    "TeamRead",
    "TeamRef",
    "TeamUpdate",
    "UserRef",
]
