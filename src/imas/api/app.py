"""The application factory."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

import imas.models  # noqa: F401  (every table, and the audit hook)
from imas import __version__
from imas.alerts.routes import routers as alert_routers
from imas.alerts.service.group_commit import GroupCommit
from imas.analytics.routes import router as metrics_router
from imas.api.errors import install_error_handlers
from imas.api.health import router as health_router
from imas.api.middleware import RequestContextMiddleware
from imas.api.openapi import ERROR_RESPONSES, drop_default_422
from imas.api.ratelimit import RateLimiter
from imas.api.routing import prefixed
from imas.audit.routes import router as audit_router
from imas.auth.github.routes import router as github_router
from imas.auth.routes import router as auth_router
from imas.auth.routes import tokens_router
from imas.automation.routes import routers as automation_routers
from imas.catalog.routes import routers as catalog_routers
from imas.cicd.routes import routers as cicd_routers
from imas.config import Settings, get_settings
from imas.db import Database
from imas.incidents.routes import routers as incident_routers
from imas.integrations.jira.routes import routers as jira_routers
from imas.integrations.slack.routes import routers as slack_routers
from imas.jobs.routes import router as jobs_router
from imas.jobs.worker import Worker
from imas.kubernetes.routes import routers as kubernetes_routers
from imas.logging import configure_logging
from imas.migrations.runner import upgrade
from imas.notify.routes import router as webhooks_router
from imas.oncall.routes import routers as oncall_routers
from imas.orgs.routes import router as organizations_router
from imas.orgs.user_routes import router as users_router
from imas.pipelines.routes import routers as pipeline_routers
from imas.rca.routes import router as rca_router
from imas.realtime import listener as realtime_listener
from imas.realtime.routes import router as realtime_router
from imas.telemetry.routes import routers as telemetry_routers
from imas.web.pages import static_files
from imas.web.routes import router as web_router

DESCRIPTION = (
    "IMAS takes alerts from every monitoring tool, folds them into incidents, pages the right "
    "person and tracks the incident to resolution. Authenticate with "
    "`Authorization: Token <token>` (from `POST /api/auth/token/`) or "
    "`Authorization: Bearer <jwt>` (from `POST /api/auth/login/`)."
)


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """The IMAS app; tests pass their own settings and a shared `database`."""
    settings = settings or get_settings()
    configure_logging(settings)
    db = database or Database(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.auto_migrate:
            await anyio.to_thread.run_sync(upgrade, settings.database_url)
        worker = Worker(db, settings, concurrency=settings.worker_concurrency)
        running = asyncio.create_task(worker.run()) if settings.runs_embedded_worker else None
        # What start-up made (modules, routes, models) lives as long as the process: frozen,
        # a full collection walks only the requests' objects instead of everything (the one
        # request in a hundred that ran it took some 200 ms more: bench/telemetry.py's p99).
        gc.freeze()
        yield
        await app.state.intake.close()
        await realtime_listener.close()
        if running is not None:
            worker.stop()
            await running
        await db.dispose()

    app = FastAPI(
        title="IMAS",
        version=__version__,
        description=DESCRIPTION,
        docs_url="/api/docs/",
        redoc_url="/api/redoc/",
        openapi_url="/api/schema/",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.limiter = RateLimiter(settings)
    app.state.intake = GroupCommit(db)
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)
    routers = [
        health_router,
        auth_router,
        github_router,
        tokens_router,
        organizations_router,
        users_router,
        *catalog_routers,
        *incident_routers,
        *slack_routers,  # before alert_routers: /integrations/slack/ is no alert integration id
        *jira_routers,
        *alert_routers,
        jobs_router,
        webhooks_router,
        *oncall_routers,
        audit_router,
        metrics_router,
        realtime_router,
        web_router,
        rca_router,
        *automation_routers,
        *pipeline_routers,
        *telemetry_routers,
        *kubernetes_routers,
        *cicd_routers,
    ]
    for router in routers:
        app.include_router(prefixed(router), responses=ERROR_RESPONSES)
    app.mount("/static", static_files(), name="static")
    drop_default_422(app)
    return app
