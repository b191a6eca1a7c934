"""The telemetry API: custom metrics, alert rules on them, and the org's telemetry settings."""

from imas.telemetry.routes.metrics import router as metrics_router
from imas.telemetry.routes.rules import router as rules_router
from imas.telemetry.routes.settings import router as settings_router

routers = [metrics_router, rules_router, settings_router]

__all__ = ["routers"]
