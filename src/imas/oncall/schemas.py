"""Request and response models of schedules, overrides, escalation policies, contact methods
and notification rules."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from imas.incidents.models import Severity
from imas.oncall.models import RotationType, ShiftUnit
from imas.types import UtcDateTime

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise PydanticCustomError(
            "time_zone", "unknown time zone; use an IANA name such as Europe/Paris"
        ) from None
    return value


def _wall_time(value: time) -> time:
    if value.tzinfo is not None:
        raise PydanticCustomError(
            "wall_time",
            "give a local wall time (HH:MM) without offset; the schedule's time zone applies",
        )
    return value.replace(second=0, microsecond=0)


TimeZone = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_time_zone)]
WallTime = Annotated[time, AfterValidator(_wall_time)]


class UserRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    email: str | None


# --- schedules ---------------------------------------------------------------------------


class LayerIn(BaseModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    rotation_type: RotationType = RotationType.WEEKLY
    shift_length: int | None = Field(
        default=None, ge=1, le=8760, description="custom rotations: the length of a shift"
    )
    shift_unit: ShiftUnit | None = Field(
        default=None, description="custom rotations: hours (elapsed) or days (local days)"
    )
    start_date: date = Field(description="Local date of the first hand-off")
    handoff_time: WallTime = Field(default=time(9, 0), description="Local wall time, HH:MM")
    participants: list[uuid.UUID] = Field(
        min_length=1, max_length=100, description="Users of your organization, in turn order"
    )

    @model_validator(mode="after")
    def _length(self) -> LayerIn:
        if self.rotation_type == RotationType.DAILY:
            self.shift_length, self.shift_unit = 1, ShiftUnit.DAYS
        elif self.rotation_type == RotationType.WEEKLY:
            self.shift_length, self.shift_unit = 7, ShiftUnit.DAYS
        elif self.shift_length is None or self.shift_unit is None:
            raise PydanticCustomError(
                "custom_rotation", "a custom rotation needs shift_length and shift_unit"
            )
        return self


Layers = Annotated[
    list[LayerIn],
    Field(min_length=1, max_length=10, description="Bottom first: a later layer wins"),
]


class ScheduleCreate(BaseModel):
    name: Name
    description: str = ""
    time_zone: TimeZone = Field(examples=["Europe/Paris"])
    layers: Layers


class ScheduleUpdate(BaseModel):
    """PATCH: only the fields sent change; `layers` replaces every layer."""

    name: Name | None = None
    description: str | None = None
    time_zone: TimeZone | None = None
    layers: Layers | None = None


class LayerRead(BaseModel):
    id: uuid.UUID
    position: int
    name: str
    rotation_type: RotationType
    shift_length: int
    shift_unit: ShiftUnit
    start_date: date
    handoff_time: str
    participants: list[uuid.UUID]


class ScheduleRead(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    time_zone: str
    layers: list[LayerRead]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, schedule: Any) -> ScheduleRead:
        """`schedule` with its layers loaded."""
        return cls(
            id=schedule.id,
            name=schedule.name,
            description=schedule.description,
            time_zone=schedule.time_zone,
            layers=[
                LayerRead(
                    id=layer.id,
                    position=layer.position,
                    name=layer.name,
                    rotation_type=layer.rotation_type,
                    shift_length=layer.shift_length,
                    shift_unit=layer.shift_unit,
                    start_date=layer.start_date,
                    handoff_time=layer.handoff_time.strftime("%H:%M"),
                    participants=[uuid.UUID(p) for p in layer.participants],
                )
                for layer in schedule.layers
            ],
            created_at=schedule.created_at,
            updated_at=schedule.updated_at,
        )


class OverrideCreate(BaseModel):
    user: uuid.UUID
    start: UtcDateTime
    end: UtcDateTime

    @model_validator(mode="after")
    def _order(self) -> OverrideCreate:
        if self.end <= self.start:
            raise PydanticCustomError("override_order", "end must be after start")
        return self


class OverrideRead(BaseModel):
    id: uuid.UUID
    schedule: uuid.UUID
    user: UserRef
    start: datetime
    end: datetime
    created_at: datetime


class LayerRef(BaseModel):
    id: uuid.UUID
    name: str
    position: int


class OnCallRead(BaseModel):
    schedule: uuid.UUID
    at: datetime
    user: UserRef | None
    source: Literal["override", "layer"] | None
    layer: LayerRef | None
    override: uuid.UUID | None
    shift_start: datetime | None
    shift_end: datetime | None


# --- escalation policies -------------------------------------------------------------------


class UserTarget(BaseModel):
    type: Literal["user"]
    id: uuid.UUID


class ScheduleTarget(BaseModel):
    type: Literal["schedule"]
    id: uuid.UUID


class ChannelTarget(BaseModel):
    """A team channel: an e-mail address, a webhook URL, a Slack channel id..."""

    type: Literal["channel"]
    kind: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    target: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


Target = Annotated[UserTarget | ScheduleTarget | ChannelTarget, Field(discriminator="type")]


class Level(BaseModel):
    delay_minutes: int = Field(
        default=30, ge=0, le=1440, description="Minutes before the next level is paged"
    )
    targets: list[Target] = Field(min_length=1, max_length=20)


Levels = Annotated[list[Level], Field(min_length=1, max_length=20)]
Repeat = Annotated[int, Field(ge=0, le=10, description="Times the whole policy pages again")]


class PolicyCreate(BaseModel):
    name: Name
    description: str = ""
    repeat: Repeat = 0
    levels: Levels


class PolicyUpdate(BaseModel):
    """PATCH: only the fields sent change; `levels` replaces every level."""

    name: Name | None = None
    description: str | None = None
    repeat: Repeat | None = None
    levels: Levels | None = None


class PolicyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    description: str
    repeat: int
    levels: list[Level]
    created_at: datetime
    updated_at: datetime


# --- contact methods and notification rules -----------------------------------------------


class ContactMethodCreate(BaseModel):
    kind: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    target: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    label: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""


class ContactMethodUpdate(BaseModel):
    target: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
        | None
    ) = None
    label: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None


class ContactMethodRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    target: str
    label: str
    created_at: datetime
    updated_at: datetime


class NotificationRuleCreate(BaseModel):
    contact_method: uuid.UUID
    severities: list[Severity] = Field(
        default_factory=list, description="The severities it applies to; empty: all"
    )
    delay_minutes: int = Field(default=0, ge=0, le=1440)


class NotificationRuleUpdate(BaseModel):
    severities: list[Severity] | None = None
    delay_minutes: int | None = Field(default=None, ge=0, le=1440)


class NotificationRuleRead(BaseModel):
    id: uuid.UUID
    contact_method: uuid.UUID
    severities: list[Severity]
    delay_minutes: int
    created_at: datetime
    updated_at: datetime
