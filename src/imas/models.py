"""Every table of IMAS, imported in one place for Alembic and the model/migration check."""

from imas.auth.models import ApiToken, AuthSession
from imas.db import Base
from imas.orgs.models import Membership, Organization, User

metadata = Base.metadata

__all__ = ["ApiToken", "AuthSession", "Membership", "Organization", "User", "metadata"]
