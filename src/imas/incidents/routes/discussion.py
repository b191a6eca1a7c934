"""Comments and tags of an incident."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, status

from imas.api.deps import SessionDep
from imas.api.pagination import Page, PageParams, page_params, paginate
from imas.incidents import presenters, repository, service
from imas.incidents.deps import IncidentId, Reader, Writer
from imas.incidents.models import Comment, Incident
from imas.incidents.schemas import CommentCreate, CommentRead, TagsRequest, TagsResult

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])


def _comment(comment: Comment) -> CommentRead:
    return CommentRead(
        id=comment.id,
        content=comment.content,
        comment_type=comment.comment_type,
        author=presenters.user_ref(comment.author),
        created_at=comment.created_at,
    )


def _tags(incident: Incident) -> TagsResult:
    return TagsResult(
        id=incident.id, short_id=incident.short_id, tags=sorted(t.name for t in incident.tags)
    )


@router.get(
    "/{incident}/comments/", response_model=Page[CommentRead], summary="Comments, oldest first"
)
async def list_comments(
    request: Request,
    incident_id: IncidentId,
    session: SessionDep,
    _: Reader,
    pages: Annotated[PageParams, Depends(page_params)],
) -> Page[CommentRead]:
    return await paginate(session, repository.comments_of(incident_id), pages, request, _comment)


@router.post(
    "/{incident}/comments/",
    response_model=CommentRead,
    status_code=status.HTTP_201_CREATED,
    summary="Comment",
)
async def add_comment(
    incident_id: IncidentId, data: CommentCreate, session: SessionDep, principal: Writer
) -> CommentRead:
    incident = await repository.get(session, str(incident_id), options=())
    return _comment(await service.add_comment(session, incident, principal.user, data))


@router.post(
    "/{incident}/tags/", response_model=TagsResult, summary="Add tags (unknown names are created)"
)
async def add_tags(
    incident_id: IncidentId, data: TagsRequest, session: SessionDep, principal: Writer
) -> TagsResult:
    return _tags(await service.add_tags(session, incident_id, principal.user, data.tags))


@router.delete("/{incident}/tags/{name}/", response_model=TagsResult, summary="Remove a tag")
async def remove_tag(
    incident_id: IncidentId,
    name: Annotated[str, Path(max_length=50)],
    session: SessionDep,
    principal: Writer,
) -> TagsResult:
    return _tags(await service.remove_tag(session, incident_id, principal.user, name))
