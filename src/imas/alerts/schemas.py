"""Request and response models of integrations, alerts, silences and the webhook receivers."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, computed_field

from imas.alerts.matchers import Matcher
from imas.alerts.models import DEFAULT_GROUPING_LABELS, AlertStatus, ResolveBehaviour
from imas.catalog.schemas.common import Input, Name100, ServiceRef, UserRef
from imas.incidents.models import Severity, Status
from imas.incidents.schemas import SeverityIn
from imas.types import NotNull, UtcDateTime

LabelName = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z_][A-Za-z0-9_.\-]{0,99}$")
]
SeverityKey = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
GroupingLabels = Annotated[list[LabelName], Field(min_length=1, max_length=10)]
_GROUPING = (
    "Labels whose values make an alert's group key: alerts of one key share an open incident"
)
_SEVERITIES = (
    "The tool's severity value (case-insensitive) -> IMAS severity; overrides the source's table"
)


# Integrations -------------------------------------------------------------------------------


class IntegrationCreate(Input):
    kind: str = Field(examples=["alertmanager"], description="The source: see GET .../sources/")
    name: Name100 = Field(examples=["prod-alertmanager"])
    description: str = Field(default="", max_length=5000)
    default_service: uuid.UUID | None = Field(
        default=None, description="The service of alerts that name none of the organization's"
    )
    severity_mapping: dict[SeverityKey, SeverityIn] = Field(
        default_factory=dict, max_length=50, description=_SEVERITIES
    )
    grouping_labels: GroupingLabels = Field(
        default_factory=lambda: list(DEFAULT_GROUPING_LABELS), description=_GROUPING
    )
    options: dict[str, Any] = Field(
        default_factory=dict, description="The source's own options (its Config)"
    )
    is_active: bool = True
    resolve_behaviour: ResolveBehaviour = Field(
        default=ResolveBehaviour.MITIGATE,
        description="What an incident becomes once every one of its alerts is resolved",
    )


class IntegrationUpdate(Input):
    """PATCH: only the fields sent change (the kind never does)."""

    name: Annotated[Name100 | None, NotNull] = None
    description: Annotated[str | None, NotNull] = Field(default=None, max_length=5000)
    default_service: uuid.UUID | None = None
    severity_mapping: Annotated[dict[SeverityKey, SeverityIn] | None, NotNull] = Field(
        default=None, max_length=50
    )
    grouping_labels: Annotated[GroupingLabels | None, NotNull] = None
    options: Annotated[dict[str, Any] | None, NotNull] = None
    is_active: Annotated[bool | None, NotNull] = None
    resolve_behaviour: Annotated[ResolveBehaviour | None, NotNull] = None


class IntegrationRead(BaseModel):
    id: uuid.UUID
    kind: str
    name: str
    description: str
    default_service: ServiceRef | None
    severity_mapping: dict[str, Severity]
    grouping_labels: list[str]
    options: dict[str, Any]
    is_active: bool
    resolve_behaviour: ResolveBehaviour
    key_prefix: str = Field(description="The first characters of the key, to recognize it")
    key_rotated_at: datetime | None
    webhook_url: str = Field(description="Where the tool posts (relative to IMAS's address)")
    created_at: datetime
    updated_at: datetime


class IntegrationWithKey(IntegrationRead):
    key: str = Field(
        description="The integration key: shown this once, stored only hashed. Send it as "
        "`Authorization: Bearer <key>` or `?token=<key>`."
    )


class SourceRead(BaseModel):
    kind: str
    title: str
    webhook_url: str
    severity_table: dict[str, Severity]
    options_schema: dict[str, Any]


# Alerts -------------------------------------------------------------------------------------


class IntegrationRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    kind: str


class IncidentRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    short_id: str
    status: Status


AlertLevel = Literal["info", "warning", "error", "critical"]
LEVELS: dict[str, AlertLevel] = {
    Severity.SEV1_CRITICAL: "critical",
    Severity.SEV2_HIGH: "error",
    Severity.SEV3_MEDIUM: "warning",
    Severity.SEV4_LOW: "info",
}
"""Seed 003's alert `level` of each IMAS severity."""
SEVERITIES_OF_LEVEL: dict[str, str] = {level: severity for severity, level in LEVELS.items()}
ETL_SOURCE = "etl"
"""The source of data pipeline failures (`alerts.sources.etl`), whose labels carry seed 003's
alert fields."""


_SEED_FIELDS = {
    "level": "Seed 003: critical, error, warning or info, from the severity",
    "alert_type": "Seed 003: the `alert_type` label (pipeline_failed...), else the source kind",
    "message": "Seed 003: the title",
    "pipeline_run": "Seed 003: the failed pipeline run's id (the `pipeline_run` label)",
    "metadata": "Seed 003: `error_code` and `retry_count` of a pipeline failure; the labels of "
    "any other alert",
}


def _count_label(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class AlertRead(BaseModel):
    """The alert as IMAS stores it, and seed 003's view of it (`level`, `alert_type`,
    `message`, `pipeline_run`, `metadata`), derived from the same row."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    integration: IntegrationRef
    source: str
    fingerprint: str
    status: AlertStatus = Field(description="What the source says: firing or resolved")
    title: str
    severity: Severity
    service: ServiceRef | None
    incident: IncidentRef | None
    labels: dict[str, Any]
    starts_at: datetime | None
    ends_at: datetime | None
    first_seen: datetime
    last_seen: datetime
    occurrence_count: int
    silenced: bool
    acknowledged_at: datetime | None
    is_resolved: bool = Field(description="Resolved at the source or by a person in IMAS")
    resolved_at: datetime | None
    created_at: datetime
    updated_at: datetime

    # Seed 003's view (pydantic's documented form: mypy does not know decorated properties).
    @computed_field(description=_SEED_FIELDS["level"])  # type: ignore[prop-decorator]
    @property
    def level(self) -> AlertLevel:
        return LEVELS[self.severity]

    @computed_field(description=_SEED_FIELDS["alert_type"])  # type: ignore[prop-decorator]
    @property
    def alert_type(self) -> str:
        return str(self.labels.get("alert_type") or self.source)

    @computed_field(description=_SEED_FIELDS["message"])  # type: ignore[prop-decorator]
    @property
    def message(self) -> str:
        return self.title

    @computed_field(description=_SEED_FIELDS["pipeline_run"])  # type: ignore[prop-decorator]
    @property
    def pipeline_run(self) -> str | None:
        run = self.labels.get("pipeline_run")
        return str(run) if run is not None else None

    @computed_field(description=_SEED_FIELDS["metadata"])  # type: ignore[prop-decorator]
    @property
    def metadata(self) -> dict[str, Any]:
        if self.source != ETL_SOURCE:
            return self.labels
        return {
            "error_code": self.labels.get("error_code"),
            "retry_count": _count_label(self.labels.get("retry_count")),
        }


class AlertDetail(AlertRead):
    description: str
    annotations: dict[str, Any]
    links: list[str]
    group_key: str
    silence_id: uuid.UUID | None
    intake_note: str | None = Field(description="Why the alert opened no incident, if it did not")
    acknowledged_by: UserRef | None
    resolved_by: UserRef | None
    resolution_note: str | None
    raw_payload: dict[str, Any] = Field(description="What the tool sent for this alert")


class AlertUpdate(Input):
    is_resolved: Annotated[bool | None, NotNull] = None
    resolution_note: str | None = Field(default=None, max_length=5000)


class AlertAcknowledged(BaseModel):
    id: uuid.UUID
    message: str
    acknowledged_at: datetime
    acknowledged_by: UserRef | None


# Silences -----------------------------------------------------------------------------------


class SilenceState(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    EXPIRED = "expired"


class SilenceCreate(Input):
    matchers: list[Matcher] = Field(min_length=1, max_length=20)
    starts_at: UtcDateTime | None = Field(default=None, description="Now when omitted")
    ends_at: UtcDateTime
    comment: str = Field(default="", max_length=5000)


class SilenceUpdate(Input):
    matchers: Annotated[list[Matcher] | None, NotNull] = Field(
        default=None, min_length=1, max_length=20
    )
    starts_at: Annotated[UtcDateTime | None, NotNull] = None
    ends_at: Annotated[UtcDateTime | None, NotNull] = None
    comment: Annotated[str | None, NotNull] = Field(default=None, max_length=5000)


class SilenceRead(BaseModel):
    id: uuid.UUID
    matchers: list[Matcher]
    starts_at: datetime
    ends_at: datetime
    comment: str
    state: SilenceState
    created_by: UserRef | None
    created_at: datetime
    updated_at: datetime


# Webhook receivers --------------------------------------------------------------------------


class ReceivedAlert(BaseModel):
    id: uuid.UUID | None = Field(description="The stored alert (null when ignored)")
    fingerprint: str
    status: str = Field(description="firing, resolved, or ignored (nothing known to act on)")
    incident: str | None = Field(description="The short id of the alert's incident")
    deduplicated: bool = Field(description="A repeat counted on an alert IMAS already had")
    silenced: bool


class Received(BaseModel):
    model_config = ConfigDict(extra="allow")

    status: str = "ok"
    received: int
    alerts: list[ReceivedAlert]
