"""Teams: who owns services, who is in the team, who is on call."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from imas.catalog.models import Team
from imas.catalog.schemas.common import Input, Name100, UserRef
from imas.types import NotNull

SlackChannel = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Members = Annotated[list[uuid.UUID], Field(max_length=500)]

_MEMBERS = "Users of your organization (ids); the on-call user is added if missing"
_ON_CALL = "The user on call now (an id), or null; becomes a member if not one already"
_SCHEDULE = "An on-call schedule (an id), or null; when set, current_on_call comes from it"


class TeamCreate(Input):
    name: Name100
    description: str = ""
    slack_channel_id: SlackChannel | None = Field(default=None, examples=["C0123456789"])
    members: Members = Field(default_factory=list, description=_MEMBERS)
    current_on_call: uuid.UUID | None = Field(default=None, description=_ON_CALL)
    schedule: uuid.UUID | None = Field(default=None, description=_SCHEDULE)


class TeamUpdate(Input):
    """PATCH: only the fields sent change; `members` replaces the whole list."""

    name: Annotated[Name100 | None, NotNull] = None
    description: Annotated[str | None, NotNull] = None
    slack_channel_id: SlackChannel | None = None
    members: Annotated[Members | None, NotNull] = Field(default=None, description=_MEMBERS)
    current_on_call: uuid.UUID | None = Field(default=None, description=_ON_CALL)
    schedule: uuid.UUID | None = Field(default=None, description=_SCHEDULE)

    @classmethod
    def replacing(cls, data: TeamCreate) -> TeamUpdate:
        """PUT: every field is set, the omitted ones to their defaults."""
        return cls.model_validate(data.model_dump())


class TeamRead(BaseModel):
    id: uuid.UUID
    name: str
    slack_channel_id: str | None
    current_on_call: UserRef | None
    schedule: uuid.UUID | None = None
    members: list[UserRef]
    description: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, team: Team) -> TeamRead:
        """`team` with its members and on-call user loaded."""
        on_call = team.on_call_user
        return cls(
            id=team.id,
            name=team.name,
            slack_channel_id=team.slack_channel_id,
            current_on_call=UserRef.model_validate(on_call) if on_call else None,
            schedule=team.schedule_id,
            members=[
                UserRef.model_validate(u) for u in sorted(team.members, key=lambda u: u.username)
            ],
            description=team.description,
            created_at=team.created_at,
            updated_at=team.updated_at,
        )
