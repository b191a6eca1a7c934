"""The one interface every notification channel implements."""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from imas.config import Settings


@dataclass(frozen=True)
class Page:
    """What a person is paged about."""

    organization_id: uuid.UUID
    incident_id: uuid.UUID
    incident_short_id: str
    title: str
    severity: str
    status: str
    url: str  # the incident in IMAS: settings.public_url + /incidents/<short id>
    text: str  # one-line human message


class ChannelError(Exception):
    """Delivery failed; the page's job retries (and records the failure after its last try)."""


class Channel(ABC):
    """A way to reach someone. The registry builds one per use with the process's settings."""

    kind: ClassVar[str]  # "email", "webhook", "slack"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @abstractmethod
    async def send(self, session: AsyncSession, target: str, page: Page) -> str:
        """Deliver `page` to `target` (an address, a URL, a channel id); returns the provider's
        message id. Raises ChannelError when it could not be delivered."""
