"""Request and response models of `/api/v1/integrations/slack/`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from imas.incidents.models import Severity
from imas.integrations.slack.models import DEFAULT_API_BASE_URL, DEFAULT_WAR_ROOM_SEVERITIES
from imas.integrations.urls import HttpUrl

Secret = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
SlackId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^\w+$")
]


class SlackConfigIn(BaseModel):
    """PUT: the whole configuration. The two secrets are needed the first time; afterwards an
    omitted secret keeps its stored value."""

    bot_token: Secret | None = Field(
        default=None, description="The app's Bot User OAuth Token (xoxb-...)"
    )
    signing_secret: Secret | None = Field(
        default=None, description="The app's Signing Secret (Basic Information page)"
    )
    team_id: SlackId | None = Field(
        default=None,
        description="The workspace id (T...); omitted, IMAS asks Slack (`auth.test`)",
    )
    default_channel: SlackId = Field(
        description="Channel id (C...) where every new incident is posted", examples=["C0123456789"]
    )
    war_room_severities: list[Severity] = Field(
        default_factory=lambda: [Severity(s) for s in DEFAULT_WAR_ROOM_SEVERITIES],
        description="Incidents of these severities get a war-room channel of their own",
    )
    api_base_url: HttpUrl = Field(
        default=DEFAULT_API_BASE_URL, description="Slack Web API base URL (change only to test)"
    )
    is_active: bool = True


class SlackConfigRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    team_id: str
    default_channel: str
    war_room_severities: list[str]
    api_base_url: str
    is_active: bool
    bot_token_set: bool = Field(default=True, description="Secrets are never returned")
    signing_secret_set: bool = True
    created_at: datetime
    updated_at: datetime
