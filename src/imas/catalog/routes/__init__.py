"""The catalog's routers, one module per noun, included by the app factory."""

from fastapi import APIRouter

from imas.catalog.routes import impact_scopes, runbooks, services, tags, teams

routers: list[APIRouter] = [
    teams.router,
    services.router,
    impact_scopes.router,
    tags.router,
    runbooks.router,
]
