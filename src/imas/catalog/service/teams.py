"""Teams: create, edit, delete; members and the on-call user must belong to the organization.

The on-call user is always one of the team's members: naming someone on call who is not a
member adds them to the members (the friendlier reading of "put Alice on call"), while
removing the current on-call user from `members` without changing `current_on_call` in the
same request is refused (a 400 on `members`), since either silent fix would surprise someone.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.catalog import repository
from imas.catalog.models import Team
from imas.catalog.schemas.common import UserRef
from imas.catalog.schemas.teams import TeamCreate, TeamRead, TeamUpdate
from imas.catalog.service.common import delete, save_named
from imas.db import utcnow
from imas.errors import ValidationFailed
from imas.oncall.service import schedules
from imas.orgs.models import User
from imas.repository import get_or_404

THING = "Team"


async def get_team(session: AsyncSession, team_id: uuid.UUID) -> Team:
    return await get_or_404(session, Team, team_id, "team", repository.TEAM_LOAD)


async def _members(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[User]:
    wanted = list(dict.fromkeys(ids))
    found = {u.id: u for u in await repository.org_users(session, wanted)}
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise ValidationFailed.field(
            "members", f"User with ID {', '.join(missing)} is not a member of this organization."
        )
    return [found[i] for i in wanted]


async def _on_call(session: AsyncSession, user_id: uuid.UUID | None) -> User | None:
    if user_id is None:
        return None
    found = await repository.org_users(session, [user_id])
    if not found:
        raise ValidationFailed.field(
            "current_on_call", f"User with ID {user_id} is not a member of this organization."
        )
    return found[0]


def _with_on_call(members: list[User], on_call: User | None) -> list[User]:
    if on_call is not None and all(m.id != on_call.id for m in members):
        return [*members, on_call]
    return members


def _keep_on_call(members: list[User], on_call: User) -> None:
    if all(m.id != on_call.id for m in members):
        raise ValidationFailed.field(
            "members",
            f"{on_call.username} is on call for this team and must stay a member; "
            "set current_on_call to another member (or null) in the same request.",
        )


async def create_team(session: AsyncSession, data: TeamCreate) -> Team:
    members = await _members(session, data.members)
    on_call = await _on_call(session, data.current_on_call)
    team = Team(
        name=data.name,
        description=data.description,
        slack_channel_id=data.slack_channel_id,
        members=_with_on_call(members, on_call),
        on_call_user=on_call,
        schedule_id=await _schedule(session, data.schedule),
    )
    await save_named(session, team, THING)
    return team


async def update_team(session: AsyncSession, team: Team, data: TeamUpdate) -> Team:
    """Change the fields `data` sets (`team` loaded with its members and on-call user)."""
    given = data.model_fields_set
    # Every look-up first, so no query autoflushes a half-applied change.
    members = await _members(session, data.members or []) if "members" in given else None
    on_call = (
        await _on_call(session, data.current_on_call)
        if "current_on_call" in given
        else team.on_call_user
    )
    if members is not None and on_call is not None and "current_on_call" not in given:
        _keep_on_call(members, on_call)
    if data.name is not None:
        team.name = data.name
    if data.description is not None:
        team.description = data.description
    if "slack_channel_id" in given:
        team.slack_channel_id = data.slack_channel_id
    new_members = _with_on_call(members if members is not None else list(team.members), on_call)
    if {m.id for m in new_members} != {m.id for m in team.members}:
        team.members = new_members
        team.updated_at = utcnow()  # a membership change alone updates no column of the team
    if "current_on_call" in given:
        team.on_call_user = on_call
    if "schedule" in given:
        team.schedule_id = await _schedule(session, data.schedule)
    await save_named(session, team, THING)
    return team


async def _schedule(session: AsyncSession, schedule_id: uuid.UUID | None) -> uuid.UUID | None:
    if schedule_id is None:
        return None
    return (await schedules.schedule_ref(session, schedule_id, "schedule")).id


async def on_call_from_schedules(session: AsyncSession, reads: Sequence[TeamRead]) -> None:
    """Teams that point at a schedule: their `current_on_call` is who is on call there now."""
    ids = [r.schedule for r in reads if r.schedule]
    if not ids:
        return
    users = await schedules.on_call_users(session, ids, utcnow())
    for read in reads:
        if read.schedule:
            user = users.get(read.schedule)
            read.current_on_call = UserRef.model_validate(user) if user else None


async def delete_team(session: AsyncSession, team: Team) -> None:
    """Services it owned keep running without an owner (their `owner_team` becomes null)."""
    await delete(session, team, THING, in_use="other data still references it")


async def forget_member(session: AsyncSession, user_id: uuid.UUID) -> None:
    """A user leaving the organization leaves its teams and their on-call slots."""
    teams = await session.scalars(
        select(Team).where(Team.members.any(User.id == user_id)).options(*repository.TEAM_LOAD)
    )
    for team in teams.unique().all():
        team.members = [m for m in team.members if m.id != user_id]
        if team.on_call_user_id == user_id:
            team.on_call_user = None
        team.updated_at = utcnow()
    await session.flush()
