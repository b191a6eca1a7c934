"""The pipelines API: connectors, pipelines, their runs, and their metrics."""

from imas.pipelines.routes.connectors import router as connectors_router
from imas.pipelines.routes.metrics import router as metrics_router
from imas.pipelines.routes.pipelines import router as pipelines_router
from imas.pipelines.routes.runs import router as runs_router

routers = [connectors_router, pipelines_router, runs_router, metrics_router]

__all__ = ["routers"]
