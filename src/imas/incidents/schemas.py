"""Request and response models of the incident API (seed: imas-manager, plus seeds 001 and 004)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, HttpUrl

from imas.incidents.models import Severity, Status, TimelineType
from imas.incidents.sla import SlaStatus
from imas.types import UtcDateTime

# Seed 001 says CRITICAL/HIGH/MEDIUM/LOW; IMAS's names are accepted as well.
_SEVERITY_ALIASES = {
    "CRITICAL": Severity.SEV1_CRITICAL,
    "HIGH": Severity.SEV2_HIGH,
    "MEDIUM": Severity.SEV3_MEDIUM,
    "LOW": Severity.SEV4_LOW,
}


def _severity(value: Any) -> Any:
    if isinstance(value, str):
        upper = value.strip().upper()
        return _SEVERITY_ALIASES.get(upper, upper)
    return value


SeverityIn = Annotated[Severity, BeforeValidator(_severity)]
Title = Annotated[str, Field(min_length=1, max_length=200)]
TagName = Annotated[str, Field(min_length=1, max_length=50)]
Link = Annotated[HttpUrl, Field(max_length=500)]


class UserRef(BaseModel):
    id: uuid.UUID
    username: str
    email: str | None = None


class NamedRef(BaseModel):
    id: uuid.UUID
    name: str


class ServiceRef(NamedRef):
    owner_team: NamedRef | None = None
    runbook_url: str | None = None
    criticality: str


class Kpis(BaseModel):
    mttd_seconds: int | None
    mtta_seconds: int | None
    mttr_seconds: int | None


class TimelineRead(BaseModel):
    id: uuid.UUID
    type: TimelineType
    message: str
    timestamp: datetime
    actor: UserRef | None
    data: dict[str, Any]


class IncidentCreate(BaseModel):
    title: Title
    description: str = Field(default="", max_length=20_000)
    service: uuid.UUID
    severity: SeverityIn = Severity.SEV3_MEDIUM
    impacted_scopes: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    detected_at: UtcDateTime | None = None
    lead: uuid.UUID | None = Field(default=None, description="User id; defaults to the creator")
    assigned_team: uuid.UUID | None = None
    assigned_user: uuid.UUID | None = None
    affected_systems: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=100
    )
    tags: list[TagName] = Field(default_factory=list, max_length=50)
    source_query: str | None = Field(default=None, max_length=5000)
    war_room_link: Link | None = None
    lid_link: Link | None = None
    itsm_ticket_id: str | None = Field(default=None, max_length=100)


class IncidentUpdate(BaseModel):
    """PUT and PATCH both change only the fields given. `status` goes through the lifecycle."""

    title: Title | None = None
    description: str | None = Field(default=None, max_length=20_000)
    severity: SeverityIn | None = None
    status: Status | None = Field(
        default=None, description="Moves through the lifecycle (same rules as the actions)"
    )
    lead: uuid.UUID | None = None
    assigned_team: uuid.UUID | None = None
    assigned_user: uuid.UUID | None = None
    impacted_scopes: list[uuid.UUID] | None = Field(default=None, max_length=50)
    affected_systems: list[Annotated[str, Field(max_length=200)]] | None = Field(
        default=None, max_length=100
    )
    tags: list[TagName] | None = Field(default=None, max_length=50)
    source_query: str | None = Field(default=None, max_length=5000)
    war_room_link: Link | None = None
    lid_link: Link | None = None
    itsm_ticket_id: str | None = Field(default=None, max_length=100)


class IncidentListItem(BaseModel):
    id: uuid.UUID
    short_id: str
    title: str
    description: str
    severity: Severity
    status: Status
    priority: str
    service: NamedRef
    lead: UserRef | None
    assigned_team: NamedRef | None
    assigned_user: UserRef | None
    tags: list[str]
    sla_status: SlaStatus
    remediation_status: str | None = Field(
        description="succeeded, in_progress, applied_not_solved (retries exhausted) or failed"
    )
    remediation_attempts: int
    created_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None


class IncidentDetail(IncidentListItem):
    severity_display: str
    status_display: str
    service: ServiceRef
    impacted_scopes: list[NamedRef]
    affected_systems: list[str]
    source_query: str | None
    war_room_link: str | None
    lid_link: str | None
    itsm_ticket_id: str | None
    detected_at: datetime
    mitigated_at: datetime | None
    acknowledged_by: UserRef | None
    resolved_by: UserRef | None
    resolution_note: str | None
    root_cause: str | None
    sla_seconds: int
    sla_ack_seconds: int
    kpis: Kpis
    timeline: list[TimelineRead]
    ai_analysis: dict[str, Any] | None = Field(
        default=None,
        description="The latest root-cause analysis (the `analysis` of POST .../analyze/)",
    )


class IncidentCreated(IncidentDetail):
    message: str = "Incident created. Orchestration in progress..."


class AcknowledgeRequest(BaseModel):
    message: str | None = Field(default=None, max_length=2000)


class AcknowledgeResult(BaseModel):
    id: uuid.UUID
    short_id: str
    status: Status
    acknowledged_at: datetime | None
    acknowledged_by: UserRef | None
    message: str


class ResolveRequest(BaseModel):
    resolution_note: str | None = Field(default=None, max_length=20_000)
    root_cause: str | None = Field(default=None, max_length=20_000)


class ResolveResult(BaseModel):
    id: uuid.UUID
    short_id: str
    status: Status
    resolved_at: datetime | None
    resolved_by: UserRef | None
    kpis: Kpis
    message: str


class TransitionRequest(BaseModel):
    message: str | None = Field(default=None, max_length=2000)


class TransitionResult(BaseModel):
    id: uuid.UUID
    short_id: str
    status: Status
    mitigated_at: datetime | None
    message: str


class CommentCreate(BaseModel):
    content: str = Field(min_length=1, max_length=20_000)
    comment_type: str = Field(
        default="update", pattern=r"^[a-z_]{1,20}$", description="update, note, investigation..."
    )


class CommentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    content: str
    comment_type: str
    author: UserRef | None
    created_at: datetime


class TagsRequest(BaseModel):
    tags: list[TagName] = Field(min_length=1, max_length=50)


class TagsResult(BaseModel):
    id: uuid.UUID
    short_id: str
    tags: list[str]


class Deleted(BaseModel):
    message: str


class SlaPolicyRead(BaseModel):
    severity: Severity
    ack_seconds: int
    resolve_seconds: int
    is_default: bool


class SlaPolicyUpdate(BaseModel):
    ack_seconds: int = Field(ge=60, le=30 * 86400)
    resolve_seconds: int = Field(ge=60, le=365 * 86400)
