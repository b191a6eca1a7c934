"""Repository settings: which repositories' webhooks IMAS accepts, the service each deploys,
what counts as a deployment, and the secret each webhook is signed with (shown once)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from imas.catalog import lookups
from imas.cicd import secrets
from imas.cicd.exceptions import RepositoryExists
from imas.cicd.models import CiRepository
from imas.cicd.schemas import RepositoryCreate, RepositoryUpdate
from imas.config import Settings
from imas.orgs.models import User
from imas.repository import save_unique


def _exists(data: RepositoryCreate) -> RepositoryExists:
    return RepositoryExists(
        f"The {data.provider.value} repository '{data.full_name}' is already configured.",
        details={"provider": data.provider.value, "full_name": data.full_name},
    )


async def create(
    session: AsyncSession, data: RepositoryCreate, user: User, settings: Settings
) -> tuple[CiRepository, str]:
    """The new repository and its webhook secret (the only time it is returned)."""
    service = await lookups.service_ref(session, data.service) if data.service else None
    secret = secrets.generate()
    repo = CiRepository(
        provider=data.provider.value,
        full_name=data.full_name,
        service_id=service.id if service else None,
        default_branch=data.default_branch,
        alert_on_default_branch_failure=data.alert_on_default_branch_failure,
        alert_severity=data.alert_severity.value,
        deployment_workflows=list(data.deployment_workflows),
        deployment_environments=list(data.deployment_environments),
        change_window_minutes=data.change_window_minutes,
        is_active=data.is_active,
        secret_encrypted=secrets.seal(secret, settings),
        created_by_id=user.id,
    )
    await save_unique(session, lambda: session.add(repo), _exists(data))
    repo.service = service
    return repo, secret


async def update(session: AsyncSession, repo: CiRepository, data: RepositoryUpdate) -> CiRepository:
    given = data.model_fields_set
    if "service" in given:
        service = await lookups.service_ref(session, data.service) if data.service else None
        repo.service_id = service.id if service else None
        repo.service = service
    for name in (
        "default_branch",
        "alert_on_default_branch_failure",
        "deployment_workflows",
        "deployment_environments",
        "change_window_minutes",
        "is_active",
    ):
        value = getattr(data, name)
        if name in given and value is not None:
            setattr(repo, name, value)
    if "alert_severity" in given and data.alert_severity is not None:
        repo.alert_severity = data.alert_severity.value
    await session.flush()
    return repo


async def rotate_secret(session: AsyncSession, repo: CiRepository, settings: Settings) -> str:
    """A new secret; webhooks signed with the old one are refused from now on."""
    secret = secrets.generate()
    repo.secret_encrypted = secrets.seal(secret, settings)
    await session.flush()
    return secret


async def delete(session: AsyncSession, repo: CiRepository) -> None:
    await session.delete(repo)
    await session.flush()
