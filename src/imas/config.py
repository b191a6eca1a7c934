"""Settings from `IMAS_*` environment variables (and an optional `.env`).

No secret has a built-in default: a missing `IMAS_SECRET_KEY` is generated once and kept in
`<var_dir>/secret_key` (mode 0600), so restarts keep sessions valid and every install differs.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def secret_file(path: Path, nbytes: int = 48) -> str:
    """Read the secret kept at `path`, creating it (0600, `nbytes` of randomness) on first use."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        value = secrets.token_urlsafe(nbytes)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(value)
    return path.read_text().strip()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IMAS_", env_file=".env", extra="ignore")

    var_dir: Path = Path("var")
    database_url: str = ""
    redis_url: str | None = None
    secret_key: str = ""
    previous_secret_keys: list[str] = Field(
        default_factory=list,
        description="Former secret keys, still accepted to decrypt stored secrets (rotation)",
    )

    auto_migrate: bool = True
    health_check_timeout_seconds: float = Field(
        default=2.0, gt=0, le=30, description="Budget of each external check `/health` makes"
    )
    health_cache_seconds: float = Field(
        default=15.0, ge=0, description="How long `/health` reuses its external checks"
    )
    log_level: str = "INFO"
    log_format: Literal["console", "json"] = "console"

    access_token_ttl_seconds: int = Field(default=3600, ge=60)
    refresh_token_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=300)

    rate_limit_enabled: bool = True
    rate_limit_auth: str = "5/minute"
    rate_limit_api: str = "1000/hour"
    rate_limit_webhooks: str = "100/minute"
    rate_limit_anonymous: str = "100/hour"
    rate_limit_automation: str = "5/minute"

    embedded_worker: bool | None = Field(
        default=None, description="Run a job worker inside `imas serve` (default: on SQLite)"
    )
    worker_concurrency: int = Field(default=4, ge=1, le=64)
    worker_lease_seconds: float = Field(
        default=60.0,
        ge=1.0,
        le=3600.0,
        description="How long a worker holds a job before another may take it up (renewed while "
        "the worker lives; a killed worker's jobs return after at most this long)",
    )

    webhook_allow_private: bool = Field(
        default=False,
        description="Let outbound webhooks, Slack's API base URL and the JIRA server reach "
        "loopback, private and link-local addresses (off: such URLs are refused, an SSRF guard)",
    )

    llm_base_url: str | None = Field(
        default=None,
        description="An OpenAI-compatible API (`https://api.openai.com/v1`, Ollama's "
        "`http://host:11434/v1`...): incident analyses ask it first. Unset: nothing leaves IMAS",
    )
    llm_api_key: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    rca_auto_severities: list[str] = Field(
        default_factory=lambda: ["SEV1_CRITICAL"],
        description="New incidents of these severities are analyzed automatically",
    )

    automation_wait_seconds: float = Field(
        default=10.0,
        ge=0,
        le=120,
        description="How long `POST .../remediate/` waits for its run to end before answering "
        "202 with the run to follow",
    )
    automation_retry_seconds: float = Field(
        default=60.0,
        ge=0,
        description="Delay before the 2nd attempt of a failed remediation (doubling after)",
    )
    automation_shell_enabled: bool = Field(
        default=False, description="Allow the `shell` action (admins only, allow-listed paths)"
    )
    automation_shell_allow: list[str] = Field(
        default_factory=list, description="Absolute paths of the executables `shell` may run"
    )
    ansible_playbook_dir: Path | None = Field(
        default=None,
        description="Where the Ansible playbooks IMAS may run live (default `<var_dir>/playbooks`)",
    )
    ansible_inventory: Path | None = Field(
        default=None,
        description="An Ansible inventory (file or directory): an execution's `hosts` then "
        "limit it; unset: the `hosts` themselves are the inventory",
    )

    pipeline_retry_seconds: float = Field(
        default=30.0,
        ge=0,
        description="Delay before a failed pipeline run's 2nd attempt (doubling)",
    )
    pipeline_batch_rows: int = Field(
        default=10_000, ge=1, le=1_000_000, description="Rows per batch a pipeline run streams"
    )

    telemetry_retention_days: int = Field(
        default=30, ge=1, le=3650, description="Days metric points are kept (per-org default)"
    )
    telemetry_max_batch: int = Field(
        default=10_000, ge=1, le=1_000_000, description="Most metric points one POST may carry"
    )
    telemetry_max_future_seconds: int = Field(
        default=300, ge=0, description="How far ahead of now a metric point's timestamp may be"
    )
    telemetry_query_max_points: int = Field(
        default=500_000,
        ge=1000,
        description="Most stored points a metric query reads into memory (raw, p95, rate)",
    )

    kubernetes_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="Timeout of each call to a cluster's API server"
    )
    kubernetes_sync_timeout_seconds: float = Field(
        default=120.0, gt=0, le=3600, description="Most time one inventory sync of a cluster takes"
    )
    kubernetes_sync_interval_seconds: int = Field(
        default=60, ge=10, le=86_400, description="Default interval of a cluster's scheduled sync"
    )
    kubernetes_restart_spike: int = Field(
        default=5, ge=1, description="Default restarts between two syncs that make a pod's alert"
    )

    public_url: str = Field(
        default="http://localhost:8000", description="Where people reach IMAS (links in pages)"
    )
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "imas@localhost"
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)

    github_client_id: str | None = Field(default=None, description="GitHub OAuth app client id")
    github_client_secret: SecretStr | None = Field(
        default=None, description="GitHub OAuth app client secret (never logged)"
    )
    github_authorize_url: str = "https://github.com/login/oauth/authorize"
    github_token_url: str = "https://github.com/login/oauth/access_token"  # noqa: S105
    github_api_url: str = "https://api.github.com"
    github_allowed_orgs: list[str] = Field(
        default_factory=list,
        description="GitHub organizations whose members may sign in (JSON list of logins)",
    )
    github_team_roles: dict[str, Literal["viewer", "responder", "admin"]] = Field(
        default_factory=dict,
        description='GitHub teams -> IMAS roles, e.g. {"acme/sre": "admin"}; team members may '
        "sign in even outside github_allowed_orgs",
    )
    github_default_role: Literal["viewer", "responder", "admin"] = "viewer"
    github_imas_organization: str | None = Field(
        default=None, description="Slug of the IMAS organization GitHub users sign in to"
    )
    github_sync_roles: bool = Field(
        default=True, description="Set the member's role from the team mapping at every sign-in"
    )
    github_state_ttl_seconds: int = Field(default=600, ge=30, le=3600)
    github_timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    db_pool_size: int = Field(default=10, ge=1)
    db_echo: bool = False

    @field_validator(
        "rate_limit_auth",
        "rate_limit_api",
        "rate_limit_webhooks",
        "rate_limit_anonymous",
        "rate_limit_automation",
    )
    @classmethod
    def _valid_rate(cls, value: str) -> str:
        from limits import parse

        parse(value)  # raises ValueError with a clear message
        return value

    def model_post_init(self, __context: object) -> None:
        if not self.database_url:
            self.var_dir.mkdir(parents=True, exist_ok=True)
            self.database_url = f"sqlite+aiosqlite:///{(self.var_dir / 'imas.db').as_posix()}"
        if not self.secret_key:
            self.secret_key = secret_file(self.var_dir / "secret_key")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def runs_embedded_worker(self) -> bool:
        return self.is_sqlite if self.embedded_worker is None else self.embedded_worker


@lru_cache
def get_settings() -> Settings:
    return Settings()
