"""The receivers' rules: find the repository a webhook names among every organization's, keep
the one whose secret signed it (GitHub: `X-Hub-Signature-256`, HMAC-SHA256 of the body; GitLab:
`X-Gitlab-Token`, the secret itself; both compared in constant time), bind the session to that
repository's organization, then record what the webhook says. A repository IMAS does not know
and a wrong signature get the same 401, and nothing is stored."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from imas.cicd import repository, secrets
from imas.cicd.exceptions import InvalidSignature
from imas.cicd.models import CiRepository, Provider
from imas.cicd.providers.base import JobOfRun, Parsed, PushIn
from imas.cicd.schemas import WebhookAnswer
from imas.cicd.service import changes, failures, runs
from imas.cicd.service.events import emit_transition
from imas.config import Settings

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Credential:
    """What the request carries to prove who sent it."""

    signature: str | None = None  # GitHub: "sha256=<hex>"
    token: str | None = None  # GitLab


def _signed_by(secret: str, raw: bytes, credential: Credential) -> bool:
    if credential.signature is not None:
        expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected.encode(), credential.signature.strip().encode())
    if credential.token is not None:
        return hmac.compare_digest(secret.encode(), credential.token.encode())
    return False


async def authenticate(
    session: AsyncSession,
    provider: Provider,
    full_name: str | None,
    raw: bytes,
    credential: Credential,
    settings: Settings,
) -> CiRepository:
    """The repository whose secret signed the webhook (its organization now the session's)."""
    found = await repository.candidates(session, provider.value, full_name) if full_name else []
    verified = None
    for candidate in found:  # every candidate is checked: the time says nothing of which
        secret = secrets.open_(candidate.secret_encrypted, settings)
        if secret is None:
            log.warning(
                "ci_webhook_secret_unreadable",
                repository_id=str(candidate.id),
                hint="IMAS_SECRET_KEY changed: rotate the repository's webhook secret",
            )
        elif _signed_by(secret, raw, credential) and verified is None:
            verified = candidate
    if verified is None:
        raise InvalidSignature(
            "The webhook's signature does not match the secret of a repository configured in "
            "IMAS (check the repository's name and its webhook secret).",
            details={"reason": "signature mismatch or unknown repository"},
        )
    session.info["organization_id"] = verified.organization_id
    session.info.setdefault("actor_name", f"{provider.value}:{verified.full_name}")
    return verified


async def record(session: AsyncSession, repo: CiRepository, parsed: Parsed | None) -> WebhookAnswer:
    if parsed is None:
        return WebhookAnswer(
            status="ignored",
            ignored="nothing to record (a deleted branch, a tag, a deployment made inactive)",
        )
    if isinstance(parsed, PushIn):
        await changes.of_push(session, repo, parsed)
        return WebhookAnswer(status="recorded")
    if isinstance(parsed, JobOfRun):
        moved = await runs.record_job(session, repo, parsed.run, parsed.job)
    else:
        moved = await runs.record_run(session, repo, parsed)
    run = moved.run
    if run.status != "queued":
        await changes.of_run(session, repo, run)
    await emit_transition(session, repo, moved)
    if moved.finished:
        await failures.on_finished(session, repo, run)
    return WebhookAnswer(status="recorded", pipeline_id=run.id, pipeline_status=run.status)
