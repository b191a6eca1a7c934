"""The `imas` command. Every command honours `IMAS_DATABASE_URL` and the other settings."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, TypeVar

import typer
import uvicorn
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import imas.models  # noqa: F401  (every table, and the audit hook)
from imas import __version__
from imas.auth.service import create_api_token, membership_for
from imas.config import Settings, get_settings
from imas.db import Database, acting_in, utcnow
from imas.demo import DemoCredentials, load_demo
from imas.errors import IMASError
from imas.jobs.worker import run_worker
from imas.migrations import runner
from imas.orgs import service as orgs
from imas.orgs.models import Membership, Organization, Role, User
from imas.orgs.schemas import OrganizationCreate, UserCreate

app = typer.Typer(
    no_args_is_help=True, help=f"IMAS {__version__}: incident management and automation."
)
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
user_app = typer.Typer(no_args_is_help=True, help="Users.")
token_app = typer.Typer(no_args_is_help=True, help="API tokens.")
pipelines_app = typer.Typer(no_args_is_help=True, help="Data pipelines.")
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(pipelines_app, name="pipelines")

console = Console()
T = TypeVar("T")


def _in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def main() -> T:
        db = Database(settings)
        try:
            async with db.transaction() as session:
                return await work(session)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except IMASError as exc:
        console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(1) from exc


def _print_demo(creds: DemoCredentials, url: str) -> None:
    table = Table(title="IMAS demo", show_header=False)
    table.add_row("URL", url)
    table.add_row("API docs", f"{url}/api/docs/")
    table.add_row("Organization", creds.organization)
    table.add_row("Users", ", ".join(creds.usernames) + "  (one of each role)")
    table.add_row("Password", creds.password)
    table.add_row("API token", creds.token)
    table.add_row("Try", f'curl -H "Authorization: Token {creds.token}" {url}/api/v1/users/me/')
    console.print(table)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    demo: Annotated[bool, typer.Option(help="Load demo data and print its credentials")] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="API processes sharing the port (each commits its own alert posts together)",
        ),
    ] = 1,
) -> None:
    """Apply migrations and run the API."""
    settings = get_settings()
    runner.upgrade(settings.database_url)
    if demo:
        creds = _in_transaction(settings, lambda s: load_demo(s, settings))
        _print_demo(creds, f"http://{host}:{port}")
    uvicorn.run(
        "imas.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        access_log=False,
        log_level=settings.log_level.lower(),
        workers=workers,
    )


@app.command()
def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Jobs run at once [default: IMAS_WORKER_CONCURRENCY]"),
    ] = None,
) -> None:
    """Run background jobs until stopped; SIGTERM or Ctrl-C finishes or returns the jobs in hand."""
    settings = get_settings()
    runner.upgrade(settings.database_url)
    jobs_at_once = concurrency or settings.worker_concurrency

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(settings, jobs_at_once, stop)

    asyncio.run(main())


@app.command()
def demo() -> None:
    """Load the demo organization, users and token (idempotent) and print the credentials."""
    settings = get_settings()
    runner.upgrade(settings.database_url)
    creds = _in_transaction(settings, lambda s: load_demo(s, settings))
    _print_demo(creds, "http://127.0.0.1:8000")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "heads") -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    settings = get_settings()
    runner.upgrade(settings.database_url, revision)
    console.print(f"database at {revision}")


@db_app.command("revision")
def db_revision(message: Annotated[str, typer.Option("-m", "--message")]) -> None:
    """Write a new migration from the difference between the models and the database."""
    runner.revision(get_settings().database_url, message)


async def _ensure_org(session: AsyncSession, slug: str) -> Organization:
    org = await session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        org = await orgs.create_organization(
            session, None, OrganizationCreate(name=slug, slug=slug)
        )
    return org


@user_app.command("create")
def user_create(
    username: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    email: Annotated[str | None, typer.Option()] = None,
    org: Annotated[str, typer.Option(help="Organization slug; created if missing")] = "default",
    role: Annotated[Role, typer.Option()] = Role.ADMIN,
) -> None:
    """Create a user (and the organization if needed), or add an existing user to the org."""
    settings = get_settings()
    runner.upgrade(settings.database_url)

    async def work(session: AsyncSession) -> str:
        organization = await _ensure_org(session, org)
        user = await session.scalar(select(User).where(User.username == username))
        if user is None:
            data = UserCreate(username=username, password=password, email=email, role=role)
            await orgs.create_user(session, organization.id, data)
            return f"created user {username} ({role}) in {organization.slug}"
        with acting_in(session, organization.id):
            member = await session.scalar(select(Membership).where(Membership.user_id == user.id))
            if member is not None:
                raise IMASError(f"{username} is already a member of {organization.slug}")
            session.add(Membership(organization_id=organization.id, user_id=user.id, role=role))
            await session.flush()
        return f"added existing user {username} to {organization.slug} as {role}"

    console.print(_in_transaction(settings, work))


@token_app.command("create")
def token_create(
    username: str,
    org: Annotated[
        str | None, typer.Option(help="Organization slug (default: the user's first)")
    ] = None,
    name: Annotated[str, typer.Option(help="A label for the token")] = "cli",
    scope: Annotated[
        list[str] | None, typer.Option(help="Limit to this scope (repeatable)")
    ] = None,
    expires_in_days: Annotated[int | None, typer.Option(min=1)] = None,
) -> None:
    """Print a new API token for USERNAME (shown once)."""
    settings = get_settings()

    async def work(session: AsyncSession) -> str:
        user = await session.scalar(select(User).where(User.username == username))
        if user is None:
            raise IMASError(f"no user named {username}")
        membership, _ = await membership_for(session, user, org)
        expires = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
        _, raw = await create_api_token(
            session, user, membership, name=name, scopes=scope or None, expires_at=expires
        )
        return raw

    typer.echo(_in_transaction(settings, work))


@pipelines_app.command("rotate-credentials")
def pipelines_rotate_credentials() -> None:
    """Re-encrypt connector credentials sealed under a key of IMAS_PREVIOUS_SECRET_KEYS with
    the current IMAS_SECRET_KEY (run after changing the key; then drop the old one)."""
    from imas.pipelines.service.connectors import reseal_all

    settings = get_settings()
    changed = _in_transaction(settings, lambda session: reseal_all(session, settings))
    typer.echo(f"{changed} connector(s) re-encrypted")
