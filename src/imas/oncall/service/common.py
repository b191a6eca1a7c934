"""What the on-call use cases share: people of the organization, by id."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from imas.errors import ValidationFailed
from imas.oncall import repository
from imas.orgs.models import User


async def org_users(
    session: AsyncSession, ids: Sequence[uuid.UUID], field: str
) -> dict[uuid.UUID, User]:
    """The users with these ids, every one a member of the organization (else a 400 on
    `field`)."""
    wanted = list(dict.fromkeys(ids))
    found = {u.id: u for u in await repository.org_users(session, wanted)}
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise ValidationFailed.field(
            field, f"User with ID {', '.join(missing)} is not a member of this organization."
        )
    return found
