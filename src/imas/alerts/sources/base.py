"""What every source shares: the normalized alert (`AlertIn`), the `Source` base class and the
helpers sources use to read their tool's payload.

A source is one small class in its own module: a `kind` (its receiver is
`/api/v1/webhooks/<kind>/`), a `Config` (per-integration options, validated when the integration
is saved), the tool's severity table, and `parse(payload) -> list[AlertIn]`, which validates the
whole payload against the tool's documented shape before returning anything, so one bad alert
rejects the whole post (`InvalidPayload`, 400).
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from imas.alerts.exceptions import InvalidPayload
from imas.alerts.models import AlertStatus
from imas.incidents.models import Severity

if TYPE_CHECKING:
    from imas.alerts.schemas import ReceivedAlert

M = TypeVar("M", bound=BaseModel)

TITLE_MAX = 500
FINGERPRINT_MAX = 255
_EPOCH_FLOOR = datetime(1971, 1, 1, tzinfo=UTC)  # Go's zero time (0001-01-01) means "unset"


class AlertIn(BaseModel):
    """One alert as IMAS understands it, whichever tool sent it."""

    fingerprint: str = Field(min_length=1, max_length=FINGERPRINT_MAX)
    status: AlertStatus
    title: str
    description: str = ""
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    severity: Severity = Severity.SEV3_MEDIUM
    service_name: str | None = None
    starts_at: datetime | None = None
    starts_at_is_episode: bool = Field(
        default=False,
        description="starts_at identifies this firing: a later one is a new firing of the same "
        "alert, an equal one a repeat (Alertmanager, Grafana)",
    )
    ends_at: datetime | None = None
    links: list[str] = Field(default_factory=list)
    raw: dict[str, Any] = Field(default_factory=dict)
    acknowledged: bool = Field(
        default=False, description="The tool says a person acknowledged it (PagerDuty)"
    )
    update_only: bool = Field(
        default=False,
        description="Acts on an alert IMAS already has; ignored for an unknown fingerprint",
    )


class SourceConfig(BaseModel):
    """Options every source understands; a source may extend it with its own."""

    model_config = ConfigDict(extra="forbid")

    service_label: str = Field(
        default="service",
        min_length=1,
        max_length=100,
        description="The label (or tag) whose value names the IMAS service",
    )
    severity_label: str = Field(
        default="severity",
        min_length=1,
        max_length=100,
        description="The label whose value is looked up in the severity table",
    )
    severity_map: dict[str, Severity] = Field(
        default_factory=dict,
        description="The integration's overrides of the source's severity table (lower-case)",
    )


IMAS_LEVELS: Mapping[str, Severity] = {
    "critical": Severity.SEV1_CRITICAL,
    "error": Severity.SEV2_HIGH,
    "warning": Severity.SEV3_MEDIUM,
    "info": Severity.SEV4_LOW,
    **{s.value.lower(): s for s in Severity},
}
"""The levels of the reports IMAS's own modules send (pipelines, CI/CD, Kubernetes), and IMAS's
severities by name."""


class Source(ABC):
    kind: ClassVar[str]
    title: ClassVar[str]
    Config: ClassVar[type[SourceConfig]] = SourceConfig
    payload_model: ClassVar[type[BaseModel]]
    """The tool's documented body (validation and the receiver's OpenAPI schema)."""
    severity_table: ClassVar[Mapping[str, Severity]] = {}
    """The seed's mapping for this tool: the tool's value (lower-case) -> IMAS severity."""
    default_severity: ClassVar[Severity] = Severity.SEV3_MEDIUM
    status_code: ClassVar[int] = 200
    accepts_list: ClassVar[bool] = False
    """True when a post may also be a JSON array of the tool's events."""

    def __init__(self, config: SourceConfig | None = None) -> None:
        self.config = config or self.Config()

    @classmethod
    def configure(
        cls, options: Mapping[str, Any], severity_map: Mapping[str, str] | None = None
    ) -> Source:
        """This source with an integration's options and severity overrides."""
        values = {
            **options,
            "severity_map": {k.lower(): v for k, v in (severity_map or {}).items()},
        }
        return cls(cls.Config.model_validate(values))

    @abstractmethod
    def parse(self, payload: Any) -> list[AlertIn]:
        """The alerts of one post; `InvalidPayload` if any part is not in the tool's shape."""

    def key_in_payload(self, payload: Any) -> str | None:
        """The integration key when the tool carries it in the body (PagerDuty's routing_key)."""
        return None

    def response_extra(
        self, alerts: list[AlertIn], received: list[ReceivedAlert]
    ) -> dict[str, Any]:
        """Fields the tool's clients expect in the answer, besides IMAS's own; `received` says
        what became of each alert (same order as `alerts`)."""
        return {}

    def severity(self, raw: object) -> Severity:
        """The tool's value through the integration's overrides, then the source's table; an
        IMAS name (SEV1_CRITICAL) is taken as is."""
        if not isinstance(raw, str) or not raw.strip():
            return self.default_severity
        value = raw.strip().lower()
        if value in self.config.severity_map:
            return self.config.severity_map[value]
        if value in self.severity_table:
            return self.severity_table[value]
        if value.upper() in Severity.__members__:
            return Severity(value.upper())
        return self.default_severity

    def validate(self, model: type[M], payload: Any) -> M:
        try:
            return model.model_validate(payload)
        except ValidationError as exc:
            raise InvalidPayload.from_validation(self.kind, exc) from None


def stable_fingerprint(identity: Mapping[str, object]) -> str:
    """A fingerprint that is the same for the same identifying fields, in any order."""
    canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def bounded_fingerprint(value: str) -> str:
    """The tool's own fingerprint, hashed only when it is longer than IMAS stores."""
    value = value.strip()
    return value if len(value) <= FINGERPRINT_MAX else hashlib.sha256(value.encode()).hexdigest()


def title_of(*candidates: object, fallback: str) -> str:
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            text = " ".join(candidate.split())
            return text if len(text) <= TITLE_MAX else text[: TITLE_MAX - 3] + "..."
    return fallback


def real_time(value: datetime | None) -> datetime | None:
    """`value` in UTC, or None for Go's zero time and other "unset" markers."""
    if value is None:
        return None
    value = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return None if value < _EPOCH_FLOOR else value.astimezone(UTC)


def epoch_time(value: object) -> datetime | None:
    """Seconds or milliseconds since the epoch (as a number or digits), else None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value) if isinstance(value, int | float | str) else None
    except ValueError:
        return None
    if number is None or number <= 0:
        return None
    if number > 1e11:  # milliseconds
        number /= 1000
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def text_map(values: Mapping[str, object] | None) -> dict[str, str]:
    """Labels as strings: scalars kept as text, nested values as compact JSON."""
    out: dict[str, str] = {}
    for key, value in (values or {}).items():
        if value is None:
            continue
        if isinstance(value, str):
            out[str(key)] = value
        elif isinstance(value, bool | int | float):
            out[str(key)] = json.dumps(value)
        else:
            out[str(key)] = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return out


def links_of(*candidates: object) -> list[str]:
    """The http(s) links among `candidates`, each once, in order."""
    seen: list[str] = []
    for candidate in candidates:
        if (
            isinstance(candidate, str)
            and candidate.startswith(("http://", "https://"))
            and candidate not in seen
        ):
            seen.append(candidate)
    return seen


def one_or_many(source: Source, payload: Any) -> list[dict[str, Any]]:
    """For tools that post one event per request: the event, or a JSON array of them (a replay
    or a batch), each a JSON object."""
    events = payload if isinstance(payload, list) else [payload]
    if not events:
        raise InvalidPayload.because(source.kind, "body", "an empty list holds no alert")
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            where = f"{index}" if isinstance(payload, list) else "body"
            raise InvalidPayload.because(source.kind, where, "expected a JSON object")
    return events
