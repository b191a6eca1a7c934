from __future__ import annotations

import pytest

from imas.catalog.models import Service
from imas.db import Database
from tests.alerts.factories import Hook, make_integration
from tests.factories import Actor, make_actor
from tests.incidents.factories import make_service


@pytest.fixture
async def viewer(db: Database, admin: Actor) -> Actor:
    return await make_actor(db, org=admin.org, role="viewer")


@pytest.fixture
async def responder(db: Database, admin: Actor) -> Actor:
    return await make_actor(db, org=admin.org, role="responder")


@pytest.fixture
async def api_gateway(db: Database, admin: Actor) -> Service:
    """The service the seed's Alertmanager example names."""
    return await make_service(db, admin.org, "api-gateway")


@pytest.fixture
async def am(db: Database, admin: Actor, api_gateway: Service) -> Hook:
    """An Alertmanager integration of the admin's organization."""
    return await make_integration(db, admin.org, "alertmanager", name="prod-alertmanager")
