"""Integrations IMAS feeds itself: each module that turns its own failures into alerts (failed
pipeline runs, breached metric rules, unhealthy Kubernetes objects, failed CI runs) reports
through one integration per organization, created on first use with a default service, so those
alerts are deduplicated, grouped, paged and escalated like any other."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.alerts.models import Integration
from imas.alerts.service.integrations import set_key
from imas.catalog.models import Service


@dataclass(frozen=True)
class Builtin:
    """One built-in integration: its alert source `kind`, its name and default service."""

    kind: str
    name: str
    description: str
    default_service: str
    service_description: str
    grouping_labels: list[str] = field(default_factory=list)

    async def existing(self, session: AsyncSession) -> Integration | None:
        """The organization's integration, or None when nothing was ever reported through it."""
        return await session.scalar(
            select(Integration).where(Integration.kind == self.kind, Integration.name == self.name)
        )

    async def get_or_create(self, session: AsyncSession) -> Integration:
        found = await self.existing(session)
        if found is not None:
            return found
        service = await session.scalar(select(Service).where(Service.name == self.default_service))
        if service is None:
            service = Service(name=self.default_service, description=self.service_description)
            session.add(service)
            await session.flush()
        integration = Integration(
            kind=self.kind,
            name=self.name,
            description=self.description,
            default_service_id=service.id,
            grouping_labels=list(self.grouping_labels),
        )
        set_key(integration)  # never shown: IMAS itself is this integration's only sender
        session.add(integration)
        await session.flush()
        return integration
