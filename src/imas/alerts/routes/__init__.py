"""The alert domain's routers, included by the app factory."""

from fastapi import APIRouter

from imas.alerts.routes import alerts, integrations, silences, webhooks

routers: list[APIRouter] = [
    webhooks.router,
    integrations.router,
    alerts.router,
    silences.router,
]
