"""``/admin/charts``: every chart the staff member may see (``core.admin.Chart``), drawn as SVG, with a date range."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath

from admin_ui import charts
from admin_ui.render import charts_of, panel, render
from admin_ui.web import needs, staff_of
from core.admin import Chart, ChartQuery
from core.errors import NotFound, PermissionDenied

log = logging.getLogger("admin_ui")


async def _draw(request: Request[Any, Any, Any], shown: list[Chart], single: Chart | None) -> Response[str]:
    staff = staff_of(request)
    rng = charts.parse_range(request.query_params, staff.timezone)
    query = ChartQuery(since=rng.since, until=rng.until, timezone=staff.timezone, staff_id=staff.user_id)
    figures = []
    if not rng.errors:  # a bad range shows the form with its errors (400), not figures of another range
        for chart in shown:
            try:
                figures.append(charts.figure(chart, await chart.load(query), query))
            except Exception:  # one failing loader breaks its own box only, like a dashboard widget
                log.exception("admin: chart %s failed", chart.key)
                figures.append({"chart": chart, "error": True})
    return render(request, "admin/charts.html", {"figures": figures, "rng": rng, "single": single,
                                                 "max_days": charts.MAX_DAYS},
                  status=400 if rng.errors else 200, staff=staff)


class ChartsController(Controller):
    """``/admin/charts`` (all) and ``/admin/charts/<plugin>/<name>`` (one), both with ``?from=&to=``."""

    path = "/charts"
    include_in_schema = False
    guards = [needs("admin.access")]

    @get("/", operation_id="admin_charts")
    async def list_charts(self, request: Request[Any, Any, Any]) -> Response[str]:
        """Every chart the staff member may see, over one date range."""
        staff = staff_of(request)
        return await _draw(request, [c for c in charts_of(panel(request)) if staff.has(c.permission)], None)

    @get("/{plugin:str}/{name:str}", operation_id="admin_chart")
    async def get_chart(self, request: Request[Any, Any, Any], plugin: FromPath[str],
                        name: FromPath[str]) -> Response[str]:
        """One chart; 404 when unknown, 403 without its permission."""
        chart = next((c for c in charts_of(panel(request)) if c.plugin == plugin and c.name == name), None)
        if chart is None:
            raise NotFound("No such chart.", code="chart_not_found")
        if not staff_of(request).has(chart.permission):
            raise PermissionDenied("This page needs the permission %(permission)s.",
                                   params={"permission": chart.permission}, code="permission_denied")
        return await _draw(request, [chart], chart)
