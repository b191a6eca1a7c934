"""Changing an incident's fields, tags and comments, and deleting it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from imas.catalog import lookups
from imas.catalog.models import Tag
from imas.errors import NotFound
from imas.events import incidents as incident_events
from imas.incidents import repository
from imas.incidents.models import Comment, Incident, TimelineType
from imas.incidents.schemas import CommentCreate, IncidentUpdate
from imas.incidents.service import refs, timeline
from imas.incidents.service.create import already_exists
from imas.incidents.service.lifecycle import transition
from imas.orgs.models import User

_PLAIN_FIELDS = ("title", "description", "source_query", "itsm_ticket_id")
_LINK_FIELDS = ("war_room_link", "lid_link")


async def _locked_with_links(session: AsyncSession, incident_id: uuid.UUID) -> Incident:
    incident = await repository.lock(session, incident_id)
    await session.refresh(incident, ["tags", "impacted_scopes"])
    return incident


async def update_incident(
    session: AsyncSession, incident_id: uuid.UUID, actor: User, data: IncidentUpdate
) -> Incident:
    """Apply the fields given (null clears an optional one); each change joins the timeline."""
    given = data.model_fields_set
    incident = await _locked_with_links(session, incident_id)
    before = incident_events.snapshot(incident)
    if data.title and data.title != incident.title:
        clash = await repository.open_duplicate(session, incident.service_id, data.title)
        if clash is not None:
            raise already_exists(clash)
    # New tags are created first (that flushes); then nothing reaches the database before the
    # savepoint below, so the change is one flush (one audit row) and a conflict undoes all of it.
    tags = await lookups.tags_by_name(session, data.tags) if data.tags is not None else None
    with session.no_autoflush:
        await _apply(session, incident, actor, data, given)
        if "tags" in given and tags is not None:
            _set_tags(session, incident, actor, tags)
    service_id, title = incident.service_id, incident.title  # the rollback below expires them
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        existing = await repository.open_duplicate(session, service_id, title)
        if existing is None:
            raise
        raise already_exists(existing) from None
    await incident_events.updated(session, incident, actor, before)
    if "status" in given and data.status and data.status != incident.status:
        incident = await transition(session, incident.id, actor, data.status)
    return incident


async def _apply(
    session: AsyncSession, incident: Incident, actor: User, data: IncidentUpdate, given: set[str]
) -> None:
    changed: dict[str, Any] = {}

    for name in _PLAIN_FIELDS + _LINK_FIELDS:
        if name in given:
            value = getattr(data, name)
            value = str(value) if value is not None and name in _LINK_FIELDS else value
            if name == "title" and value is None:
                continue  # a title is required: null leaves it as it is
            if name == "description" and value is None:
                value = ""
            if getattr(incident, name) != value:
                setattr(incident, name, value)
                changed[name] = value
    if "affected_systems" in given and data.affected_systems is not None:
        incident.affected_systems = list(data.affected_systems)
        changed["affected_systems"] = incident.affected_systems
    if changed:
        timeline.record(
            session,
            incident,
            TimelineType.FIELD_CHANGE,
            f"Updated {', '.join(sorted(changed))}",
            actor,
            fields=sorted(changed),
        )
    if "severity" in given and data.severity and data.severity != incident.severity:
        timeline.record(
            session,
            incident,
            TimelineType.SEVERITY_CHANGE,
            f"Severity changed from {incident.severity} to {data.severity}",
            actor,
            from_severity=incident.severity,
            to_severity=data.severity,
        )
        incident.severity = data.severity
    await _assign(session, incident, actor, data, given)
    if "impacted_scopes" in given and data.impacted_scopes is not None:
        incident.impacted_scopes = await lookups.impact_scope_refs(session, data.impacted_scopes)


async def _assign(
    session: AsyncSession, incident: Incident, actor: User, data: IncidentUpdate, given: set[str]
) -> None:
    notes: list[str] = []
    if "lead" in given:
        lead = await refs.member(session, data.lead, "lead") if data.lead else None
        if incident.lead_id != (lead.id if lead else None):
            incident.lead_id = lead.id if lead else None
            notes.append(f"lead {lead.username if lead else 'cleared'}")
    if "assigned_team" in given:
        team = (
            await lookups.team_ref(session, data.assigned_team, "assigned_team")
            if data.assigned_team
            else None
        )
        if incident.assigned_team_id != (team.id if team else None):
            incident.assigned_team_id = team.id if team else None
            notes.append(f"team {team.name if team else 'cleared'}")
    if "assigned_user" in given:
        user = (
            await refs.member(session, data.assigned_user, "assigned_user")
            if data.assigned_user
            else None
        )
        if incident.assigned_user_id != (user.id if user else None):
            incident.assigned_user_id = user.id if user else None
            notes.append(f"user {user.username if user else 'cleared'}")
    if notes:
        timeline.record(
            session, incident, TimelineType.ASSIGNMENT, "Assignment: " + ", ".join(notes), actor
        )


def _set_tags(session: AsyncSession, incident: Incident, actor: User, wanted: list[Tag]) -> None:
    current = {t.name for t in incident.tags}
    for tag in wanted:
        if tag.name not in current:
            timeline.record(
                session,
                incident,
                TimelineType.TAG_ADDED,
                f"Tag {tag.name} added",
                actor,
                tag=tag.name,
            )
    kept = {t.name for t in wanted}
    for name in sorted(current - kept):
        timeline.record(
            session, incident, TimelineType.TAG_REMOVED, f"Tag {name} removed", actor, tag=name
        )
    incident.tags = wanted


async def add_tags(
    session: AsyncSession, incident_id: uuid.UUID, actor: User, names: list[str]
) -> Incident:
    """Add tags by name; unknown names become new tags."""
    incident = await _locked_with_links(session, incident_id)
    before = incident_events.snapshot(incident)
    current = [t.name for t in incident.tags]
    wanted = await lookups.tags_by_name(session, current + [n for n in names if n not in current])
    _set_tags(session, incident, actor, wanted)
    await session.flush()
    await incident_events.updated(session, incident, actor, before)
    return incident


async def remove_tag(
    session: AsyncSession, incident_id: uuid.UUID, actor: User, name: str
) -> Incident:
    incident = await _locked_with_links(session, incident_id)
    if name not in {t.name for t in incident.tags}:
        raise NotFound(
            f"Incident {incident.short_id} has no tag '{name}'.",
            details={"tag": name, "tags": sorted(t.name for t in incident.tags)},
        )
    before = incident_events.snapshot(incident)
    _set_tags(session, incident, actor, [t for t in incident.tags if t.name != name])
    await session.flush()
    await incident_events.updated(session, incident, actor, before)
    return incident


async def add_comment(
    session: AsyncSession, incident: Incident, actor: User, data: CommentCreate
) -> Comment:
    comment = Comment(
        organization_id=incident.organization_id,
        incident_id=incident.id,
        author_id=actor.id,
        content=data.content,
        comment_type=data.comment_type,
    )
    session.add(comment)
    preview = data.content if len(data.content) <= 200 else data.content[:197] + "..."
    timeline.record(
        session, incident, TimelineType.COMMENT, preview, actor, comment_type=data.comment_type
    )
    await session.flush()
    comment.author = actor
    return comment


async def delete_incident(session: AsyncSession, incident: Incident) -> None:
    await incident_events.deleted(session, incident)
    await session.delete(incident)
    await session.flush()
