"""Answers of `/api/auth/github/` (seed: opssight-devops-api, "OAuth Flow")."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from imas.auth.schemas import TokenPair
from imas.orgs.models import Role


class GitHubAuthStart(BaseModel):
    auth_url: str = Field(description="Send the browser here to sign in with GitHub")
    state: str = Field(description="Also set as an HttpOnly cookie; the callback checks both")
    expires_in: int = Field(description="Seconds the sign-in may take")


class GitHubUserRead(BaseModel):
    id: uuid.UUID = Field(description="The IMAS user id")
    github_id: int
    login: str = Field(description="The GitHub login")
    username: str = Field(description="The IMAS username")
    name: str
    email: str | None
    avatar_url: str | None


class GitHubLogin(TokenPair):
    user: GitHubUserRead
    organization: str = Field(description="Slug of the IMAS organization signed in to")
    role: Role
    redirect_to: str | None = Field(
        default=None, description="The redirect_uri given when the sign-in started"
    )
