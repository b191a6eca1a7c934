"""The CI/CD API: repository settings, runs (seed 002's `/pipelines`), change events, and the
GitHub and GitLab webhook receivers."""

from fastapi import APIRouter

from imas.cicd.routes.pipelines import router as pipelines_router
from imas.cicd.routes.repositories import router as repositories_router
from imas.cicd.routes.webhooks import router as webhooks_router

routers: list[APIRouter] = [repositories_router, pipelines_router, webhooks_router]

__all__ = ["routers"]
