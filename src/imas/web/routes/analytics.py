"""`/analytics`: the figures of `imas.analytics.service`, drawn as inline SVG."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from imas.analytics import service as analytics
from imas.analytics.schemas import Period
from imas.api.deps import SessionDep
from imas.db import utcnow
from imas.web import charts
from imas.web.deps import ViewerDep
from imas.web.pages import PageRoute, render

router = APIRouter(route_class=PageRoute)

PERIODS = [
    (Period.WEEK, "7 days"),
    (Period.MONTH, "30 days"),
    (Period.QUARTER, "90 days"),
    (Period.YEAR, "1 year"),
]


@router.get("/analytics")
async def analytics_page(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    raw = request.query_params.get("period", Period.MONTH.value)
    period = Period(raw) if raw in {p.value for p in Period} else Period.MONTH
    now = utcnow()
    summary = await analytics.summary(session, period, now)
    trends = await analytics.trends(session, period, now)
    offenders = await analytics.by_service(session, period, now, limit=10)
    return render(
        request,
        "analytics.html",
        viewer.context(
            nav="analytics",
            period=period,
            periods=PERIODS,
            summary=summary,
            trends=trends,
            offenders=offenders.results,
            bars=charts.severity_bars(summary.incidents_by_severity),
            lines=charts.trend_lines(trends.data),
        ),
    )
