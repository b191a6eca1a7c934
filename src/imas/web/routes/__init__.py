"""The dashboard's pages, in one router the app factory includes (kept out of the API schema)."""

from fastapi import APIRouter

from imas.web.routes.analytics import router as analytics_router
from imas.web.routes.auth import router as auth_router
from imas.web.routes.catalog import router as catalog_router
from imas.web.routes.incidents import router as incidents_router

router = APIRouter(include_in_schema=False)
for _part in (auth_router, incidents_router, catalog_router, analytics_router):
    router.include_router(_part)
