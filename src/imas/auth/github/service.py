"""Rules of GitHub sign-in: the one-time login state, who may sign in with which role, and
which IMAS user a GitHub account is.

The callback runs in three steps, each its own short transaction or none: burn the state
(committed even if the rest fails, so a state is never used twice), talk to GitHub (no
transaction held open across the network), then link or create the user and open the session.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from imas.auth.github import repository
from imas.auth.github.client import GitHubAccount, GitHubApp
from imas.auth.github.exceptions import (
    GitHubAccessDenied,
    GitHubCodeRejected,
    GitHubNotAllowed,
    GitHubNotConfigured,
    InvalidLoginState,
)
from imas.auth.github.models import GitHubIdentity, GitHubLoginState
from imas.auth.service import hash_token
from imas.db import acting_in, utcnow
from imas.errors import Conflict, IMASError, NotAuthenticated, ValidationFailed
from imas.orgs import repository as orgs_repository
from imas.orgs.models import Membership, Organization, Role, User

log = structlog.get_logger(__name__)

STATE_COOKIE = "imas_github_state"
_RANK = {Role.VIEWER: 0, Role.RESPONDER: 1, Role.ADMIN: 2}


@dataclass(frozen=True)
class LoginStart:
    auth_url: str
    state: str


@dataclass(frozen=True)
class SignedIn:
    user: User
    identity: GitHubIdentity
    membership: Membership
    organization: Organization


def safe_redirect(public_url: str, target: str | None) -> str | None:
    """Where to send the browser after sign-in: a path of this IMAS or a URL of its origin
    (anything else would make IMAS an open redirect)."""
    if not target:
        return None
    parts, home = urlsplit(target), urlsplit(public_url)
    if not parts.scheme and not parts.netloc and target.startswith("/") and "\\" not in target:
        return target
    if (parts.scheme, parts.netloc) == (home.scheme, home.netloc):
        return target
    raise ValidationFailed.field(
        "redirect_uri", f"must be a path of this IMAS or a URL under {public_url}"
    )


async def begin(
    session: AsyncSession, app: GitHubApp, *, redirect_to: str | None = None
) -> LoginStart:
    """A new login state (only its hash is kept) and the GitHub URL that carries it."""
    now = utcnow()
    await repository.delete_states_expired_before(session, now - timedelta(hours=1))
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    session.add(
        GitHubLoginState(
            state_hash=hash_token(state),
            code_verifier=verifier,
            redirect_to=redirect_to,
            created_at=now,
            expires_at=now + timedelta(seconds=app.state_ttl_seconds),
        )
    )
    await session.flush()
    return LoginStart(auth_url=app.authorization_url(state, verifier), state=state)


async def consume_state(
    session: AsyncSession, state: str | None, browser_state: str | None
) -> GitHubLoginState:
    """The login state of this callback, marked used: it must be the one this browser got
    (the cookie), known, unexpired and unused."""
    restart = "start the sign-in again from GET /api/auth/github/."
    if not state:
        raise InvalidLoginState(f"The callback carries no state; {restart}")
    if not browser_state or not hmac.compare_digest(state, browser_state):
        raise InvalidLoginState(
            f"The state does not match the sign-in this browser started (possible CSRF); {restart}",
            details={"reason": "mismatch" if browser_state else "no_browser_state"},
        )
    now = utcnow()
    found = await repository.state_by_hash(session, hash_token(state))
    if found is None:
        raise InvalidLoginState(f"This state is unknown; {restart}", details={"reason": "unknown"})
    if found.used_at is not None or not await repository.claim_state(session, found.id, now):
        raise InvalidLoginState(
            f"This state has already been used; {restart}", details={"reason": "reused"}
        )
    if found.expires_at <= now:
        raise InvalidLoginState(f"This state has expired; {restart}", details={"reason": "expired"})
    return found


def refused(error: str, description: str | None) -> IMASError:
    """The error GitHub sent back to the callback instead of a code."""
    details = {"github_error": error}
    if error == "access_denied":
        return GitHubAccessDenied(
            "The GitHub sign-in was cancelled: access to the GitHub account was not granted.",
            details=details,
        )
    return GitHubCodeRejected(
        f"GitHub refused the sign-in ({error}: {description or 'no description'}).",
        details=details,
    )


def role_for(app: GitHubApp, account: GitHubAccount) -> Role | None:
    """The highest role of the account's mapped teams; the default role for a member of an
    allowed organization; None when the account may not sign in."""
    mapped = [app.team_roles[team] for team in account.teams if team in app.team_roles]
    if mapped:
        return max(mapped, key=_RANK.__getitem__)
    if account.orgs & app.allowed_orgs:
        return app.default_role
    return None


async def sign_in(session: AsyncSession, app: GitHubApp, account: GitHubAccount) -> SignedIn:
    """The IMAS user of this GitHub account, member of the configured organization.

    Linked before: that user. Otherwise the user whose e-mail is the account's verified primary
    e-mail gets linked, or a new user is created. Nothing is written for an account outside
    the allowed organizations and teams.
    """
    role = role_for(app, account)
    if role is None:
        raise GitHubNotAllowed(
            f"The GitHub account '{account.login}' is not a member of an organization or team "
            "allowed to sign in to this IMAS.",
            details={
                "allowed_orgs": sorted(app.allowed_orgs),
                "allowed_teams": sorted(app.team_roles),
            },
        )
    org = await repository.organization_by_slug(session, app.imas_organization)
    if org is None:
        raise GitHubNotConfigured(
            f"IMAS_GITHUB_IMAS_ORGANIZATION names '{app.imas_organization}', which is no "
            "organization of this IMAS.",
            details={"missing": ["IMAS_GITHUB_IMAS_ORGANIZATION"]},
        )
    identity = await repository.identity_by_github_id(session, account.id)
    if identity is not None:
        user = await session.get(User, identity.user_id)
        assert user is not None
    else:
        user, identity = await _link_or_create(session, account)
    if not user.is_active:
        raise NotAuthenticated("This user account is disabled.", code="account_disabled")
    session.info.update(actor_id=user.id, actor_name=user.username)
    _refresh_identity(user, identity, account)
    # Roles follow the teams only where teams are mapped: with organizations alone there is
    # nothing to follow, and roles are managed in IMAS.
    sync = app.sync_roles and bool(app.team_roles)
    membership = await _join(session, org, user, role, sync=sync)
    await session.flush()
    return SignedIn(user=user, identity=identity, membership=membership, organization=org)


async def _link_or_create(
    session: AsyncSession, account: GitHubAccount
) -> tuple[User, GitHubIdentity]:
    email = account.verified_primary_email
    user = await repository.user_with_email(session, email) if email else None
    if user is not None:
        linked = await repository.identity_of(session, user.id)
        if linked is not None:
            raise Conflict(
                "The IMAS account with this e-mail is already linked to another GitHub account.",
                error="Account already linked",
                code="github_already_linked",
            )
        log.info("github_account_linked", user_id=str(user.id), github_login=account.login)
    else:
        user = await _create_user(session, account, email)
    identity = GitHubIdentity(user_id=user.id, github_id=account.id, login=account.login)
    session.add(identity)
    await session.flush()
    return user, identity


async def _create_user(session: AsyncSession, account: GitHubAccount, email: str | None) -> User:
    """A user named after the GitHub login (suffixed when another user has that name)."""
    for username in (account.login, f"{account.login}-github", f"{account.login}-{account.id}"):
        user = User(username=username, email=email, name=account.name or account.login)
        try:
            async with session.begin_nested():
                session.add(user)
                await session.flush()
        except IntegrityError:
            continue
        log.info("github_user_created", user_id=str(user.id), github_login=account.login)
        return user
    raise Conflict(
        f"No free IMAS username for the GitHub login '{account.login}'.",
        error="User already exists",
    )


def _refresh_identity(user: User, identity: GitHubIdentity, account: GitHubAccount) -> None:
    """Keep the link current; the user's avatar follows GitHub unless they set their own."""
    if user.avatar_url is None or user.avatar_url == identity.avatar_url:
        user.avatar_url = account.avatar_url
    identity.login = account.login
    identity.name = account.name
    identity.email = account.verified_primary_email
    identity.avatar_url = account.avatar_url
    identity.last_login_at = utcnow()


async def _join(
    session: AsyncSession, org: Organization, user: User, role: Role, *, sync: bool
) -> Membership:
    """The user's membership in `org`, made with `role` if missing, set to it when syncing
    (but never demoting the organization's last admin)."""
    with acting_in(session, org.id):
        membership = await repository.membership_of(session, user.id)
        if membership is None:
            membership = Membership(organization_id=org.id, user_id=user.id, role=role)
            session.add(membership)
        elif sync and membership.role != role:
            last_admin = (
                membership.role == Role.ADMIN and await orgs_repository.count_admins(session) <= 1
            )
            if last_admin:
                log.warning("github_role_sync_skipped_last_admin", user_id=str(user.id))
            else:
                membership.role = role
        await session.flush()
    return membership


async def login_of(session: AsyncSession, user: User) -> str:
    """The name `/users/me/` shows as `login`: the GitHub login when linked, else the username."""
    identity = await repository.identity_of(session, user.id)
    return identity.login if identity is not None else user.username
