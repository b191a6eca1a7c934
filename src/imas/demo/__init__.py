"""Demo data: a living organization for a first look. Loading it twice changes nothing."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from imas.config import Settings
from imas.db import acting_in
from imas.demo.catalog import load_catalog
from imas.demo.incidents import load_incidents
from imas.demo.people import DemoCredentials, load_people

__all__ = ["DemoCredentials", "load_demo"]


async def load_demo(session: AsyncSession, settings: Settings) -> DemoCredentials:
    creds, org, admin, responder = await load_people(session, settings)
    with acting_in(session, org.id):
        catalog = await load_catalog(session, org, admin, responder)
        await load_incidents(session, catalog, admin, responder)
    return creds
