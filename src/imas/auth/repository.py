"""Queries of the auth domain (org-scoped by the session, see `imas.db`)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select

from imas.auth.models import ApiToken


def tokens_of(user_id: uuid.UUID) -> Select[Any]:
    return (
        select(ApiToken)
        .where(ApiToken.user_id == user_id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id)
    )
