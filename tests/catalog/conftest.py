"""Callers of the catalog besides the `admin` fixture: a viewer of the same organization."""

from __future__ import annotations

import pytest

from imas.db import Database
from tests.factories import Actor, make_actor


@pytest.fixture
async def viewer(db: Database, admin: Actor) -> Actor:
    """A viewer in the admin's organization: reads the catalog, changes nothing."""
    return await make_actor(db, org=admin.org, role="viewer")
