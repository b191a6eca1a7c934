"""Fixtures of the audit trail tests: a service and an incident in the `admin` fixture's org."""

from __future__ import annotations

import pytest

from imas.catalog.models import Service
from imas.db import Database
from imas.incidents.models import Incident
from tests.factories import Actor, make_actor
from tests.incidents.factories import make_incident, make_service


@pytest.fixture
async def service(db: Database, admin: Actor) -> Service:
    return await make_service(db, admin.org)


@pytest.fixture
async def incident(db: Database, admin: Actor, service: Service) -> Incident:
    """A TRIGGERED incident opened by the admin (outside any request: the actor is 'system')."""
    return await make_incident(db, admin.org, admin.user, service, title="Checkout is down")


@pytest.fixture
async def viewer(db: Database, admin: Actor) -> Actor:
    """A viewer of the admin's organization: `incident:read`, not `admin`."""
    return await make_actor(db, org=admin.org, role="viewer")
