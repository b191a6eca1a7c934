"""Members of the `admin` fixture's organization with lesser roles."""

from __future__ import annotations

import pytest

from imas.db import Database
from tests.factories import Actor, make_actor


@pytest.fixture
async def viewer(db: Database, admin: Actor) -> Actor:
    """A viewer in the admin's organization."""
    return await make_actor(db, org=admin.org, role="viewer")


@pytest.fixture
async def responder(db: Database, admin: Actor) -> Actor:
    """A responder in the admin's organization."""
    return await make_actor(db, org=admin.org, role="responder")
