"""Tags: create, edit, delete (incidents lose a deleted tag)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from imas.catalog.models import Tag
from imas.catalog.schemas.tags import TagCreate, TagUpdate
from imas.catalog.service.common import delete, save_named
from imas.repository import get_or_404

THING = "Tag"


async def get_tag(session: AsyncSession, tag_id: uuid.UUID) -> Tag:
    return await get_or_404(session, Tag, tag_id, "tag")


async def create_tag(session: AsyncSession, data: TagCreate) -> Tag:
    tag = Tag(name=data.name, color=data.color)
    await save_named(session, tag, THING)
    return tag


async def update_tag(session: AsyncSession, tag: Tag, data: TagUpdate) -> Tag:
    if data.name is not None:
        tag.name = data.name
    if data.color is not None:
        tag.color = data.color
    await save_named(session, tag, THING)
    return tag


async def delete_tag(session: AsyncSession, tag: Tag) -> None:
    await delete(session, tag, THING, in_use="other data still references it")
