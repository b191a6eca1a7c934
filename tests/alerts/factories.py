"""Alert-domain factories: integrations and silences made through the services."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from imas.alerts import service as alerts
from imas.alerts.models import Integration, Silence
from imas.alerts.schemas import IntegrationCreate, SilenceCreate
from imas.db import Database, utcnow
from imas.orgs.models import Organization, User
from tests.incidents.factories import _in

_seq = itertools.count(1)


@dataclass
class Hook:
    """An integration and what a tool needs to post to it."""

    integration: Integration
    key: str

    @property
    def id(self) -> str:
        return str(self.integration.id)

    @property
    def kind(self) -> str:
        return self.integration.kind

    @property
    def url(self) -> str:
        return f"/api/v1/webhooks/{self.integration.kind}/"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


async def make_integration(
    db: Database, org: Organization, kind: str = "alertmanager", **fields: Any
) -> Hook:
    async with db.transaction() as session, _in(session, org):
        data = IntegrationCreate(
            kind=kind, name=fields.pop("name", f"{kind}-{next(_seq)}"), **fields
        )
        integration, key = await alerts.create_integration(session, data)
    return Hook(integration, key)


async def make_silence(
    db: Database,
    org: Organization,
    actor: User,
    matchers: list[dict[str, str]],
    *,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    comment: str = "maintenance",
) -> Silence:
    async with db.transaction() as session, _in(session, org):
        data = SilenceCreate.model_validate(
            {
                "matchers": matchers,
                "starts_at": starts_at,
                "ends_at": ends_at or utcnow() + timedelta(hours=1),
                "comment": comment,
            }
        )
        return await alerts.create_silence(session, actor, data)
