"""References an incident makes to other domains, checked to exist in the caller's org."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from imas.errors import NotFound, ValidationFailed
from imas.orgs import service as orgs
from imas.orgs.models import User


async def member(session: AsyncSession, user_id: uuid.UUID, field: str) -> User:
    try:
        membership = await orgs.get_member(session, user_id)
    except NotFound:
        raise ValidationFailed.field(
            field, "User with this ID is not a member of your organization."
        ) from None
    return membership.user
