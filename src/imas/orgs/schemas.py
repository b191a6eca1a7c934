from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from imas.auth.passwords import MIN_PASSWORD_LENGTH
from imas.orgs.models import Role

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
USERNAME_PATTERN = r"^[A-Za-z0-9_.@+-]+$"


class OrgSettings(BaseModel):
    timezone: str = "UTC"
    default_retention_days: int = Field(default=90, ge=1, le=3650)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        if value not in available_timezones():
            raise ValueError(f"unknown time zone '{value}' (use an IANA name such as Europe/Paris)")
        return value


class OrganizationCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(default=None, min_length=1, max_length=80, pattern=SLUG_PATTERN)
    settings: OrgSettings = Field(default_factory=OrgSettings)


class OrganizationUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    settings: OrgSettings | None = None


class OrganizationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    slug: str
    created_at: datetime
    settings: OrgSettings
    role: Role | None = Field(default=None, description="The caller's role in this organization")


class OrganizationRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    slug: str


class UserRead(BaseModel):
    id: uuid.UUID
    username: str
    login: str = Field(description="Same as username (OpsSight's name for it)")
    name: str
    email: str | None
    avatar_url: str | None
    role: Role
    is_active: bool
    created_at: datetime
    updated_at: datetime


class MeRead(UserRead):
    login: str = Field(description="Your GitHub login if you sign in with GitHub, else username")
    permissions: list[str] = Field(description="Scopes the current credential holds")
    organization: OrganizationRef


class MeUpdate(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    email: EmailStr | None = None
    avatar_url: str | None = Field(default=None, max_length=500)


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=150, pattern=USERNAME_PATTERN)
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=256)
    email: EmailStr | None = None
    name: str = Field(default="", max_length=200)
    role: Role = Role.VIEWER


class UserUpdate(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    email: EmailStr | None = None
    role: Role | None = None
    is_active: bool | None = None
    password: str | None = Field(default=None, min_length=MIN_PASSWORD_LENGTH, max_length=256)
