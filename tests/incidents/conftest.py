from __future__ import annotations

import pytest

from imas.catalog.models import ImpactScope, Team
from imas.db import Database
from tests.factories import Actor
from tests.incidents.factories import _in, make_service, make_team


@pytest.fixture
async def sre_team(db: Database, admin: Actor) -> Team:
    return await make_team(db, admin.org, "SRE Core")


@pytest.fixture
async def redis(db: Database, admin: Actor, sre_team: Team):
    """The seed's service: redis-prod, owned by SRE Core, with a runbook URL."""
    return await make_service(
        db,
        admin.org,
        "redis-prod",
        criticality="TIER_1_CRITICAL",
        owner_team=sre_team,
        runbook_url="https://wiki.example.com/redis-recovery",
    )


@pytest.fixture
async def data_loss(db: Database, admin: Actor) -> ImpactScope:
    async with db.transaction() as session, _in(session, admin.org):
        scope = ImpactScope(organization_id=admin.org.id, name="Data Loss Risk")
        session.add(scope)
    return scope
