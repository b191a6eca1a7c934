from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from imas.auth.scopes import ALL_SCOPES

_SCOPES_DOC = "Limit the credential to these scopes (never more than your role): " + ", ".join(
    ALL_SCOPES
)


class _Credentials(BaseModel):
    username: str | None = Field(default=None, max_length=254, description="Username or e-mail")
    email: str | None = Field(default=None, max_length=254)
    password: str = Field(min_length=1, max_length=256)
    organization: str | None = Field(
        default=None, max_length=80, description="Organization slug or id"
    )
    scopes: list[str] | None = Field(default=None, description=_SCOPES_DOC)
    scope: str | None = Field(
        default=None, description="Space-separated scopes (the OAuth2 form field), added to scopes"
    )

    @model_validator(mode="after")
    def _has_login(self) -> _Credentials:
        if not (self.username or self.email):
            raise ValueError("give a username or an email")
        return self

    @property
    def login(self) -> str:
        return self.username or self.email or ""

    def scope_list(self) -> list[str] | None:
        """The limit asked for under either name; None (the whole role) when none is asked."""
        extra = self.scope.split() if self.scope else []
        if self.scopes is None and not extra:
            return None
        return [*(self.scopes or []), *extra]


class TokenRequest(_Credentials):
    name: str = Field(default="", max_length=100, description="A label to recognise the token by")
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class TokenCreated(BaseModel):
    token: str = Field(description="Shown once: IMAS keeps only its hash")
    user_id: uuid.UUID
    username: str
    created: bool = True
    token_id: uuid.UUID
    organization: str
    scopes: list[str]
    expires_at: datetime | None
    access_token: str = Field(description="Same as token, for clients that read access_token")
    token_type: str = "bearer"


class TokenVerified(BaseModel):
    valid: bool
    user_id: uuid.UUID
    username: str
    organization: str
    scopes: list[str]


class MessageResponse(BaseModel):
    message: str


class LoginRequest(_Credentials):
    """Credentials for a JWT session; the same fields as a token request."""


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int


class RefreshRequest(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    refresh_token: str = Field(
        min_length=1, max_length=4096, validation_alias=AliasChoices("refresh_token", "refresh")
    )


class AccessToken(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class ApiTokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str = Field(description="First characters of the token, to recognise it")
    scopes: list[str] | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
