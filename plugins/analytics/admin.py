"""Admin panel contributions: the platform widget on the dashboard, the RICE board, experiments, daily figures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core import clock
from core.admin import AdminPage, AdminQuery, Column, DashboardWidget, Filter, Page, Stat
from plugins.analytics import dashboards, experiments, rice

VIEW = "analytics.view"
MANAGE = "analytics.manage"


async def platform_widget() -> list[Stat]:
    """Today's and the last 7 days' figures."""
    today = clock.now().date()
    week = await dashboards.platform_dashboard(today - timedelta(days=6), today)
    day = next((d for d in week.days if d.day == today), None)
    avg = week.moderation_avg_s
    return [
        Stat("Active users today", day.active_users if day else 0, url="/admin/p/analytics/daily"),
        Stat("Joins (7 days)", week.joins),
        Stat("Events published (7 days)", week.events_published),
        Stat("Moderation, avg (7 days)", f"{avg / 3600:.1f} h" if avg is not None else "-",
             tone="warn" if avg is not None and avg > 24 * 3600 else ""),
    ]


async def load_ideas(query: AdminQuery) -> Page:
    """The RICE board, best score first."""
    page = await rice.list_ideas(status=query.filters.get("status") or None, cursor=query.cursor, limit=query.limit)
    return Page(items=[_plain(i) for i in page.items], next_cursor=page.next_cursor)


async def load_experiments(query: AdminQuery) -> Page:
    """Experiments with their overall result."""
    items: list[dict[str, Any]] = []
    for exp in await experiments.list_all():
        if query.filters.get("status") and exp.status != query.filters["status"]:
            continue
        res = await experiments.results(exp.key)
        items.append({"key": exp.key, "name": exp.name, "status": exp.status,
                      "exposures": sum(v.exposures for v in res.variants),
                      "conversions": sum(v.conversions for v in res.variants),
                      "p_value": round(res.chi2_p_value, 4) if res.chi2_p_value is not None else None,
                      "significant": "yes" if res.significant else "no"})
    return Page(items=items)


async def load_daily(query: AdminQuery) -> Page:
    """The platform's last 30 days."""
    since, until = dashboards.date_range(None, None)
    board = await dashboards.platform_dashboard(since, until)
    return Page(items=[_plain(d) for d in reversed(board.days)])


def _plain(value: Any) -> dict[str, Any]:
    from plugins.analytics.schemas import to_builtins

    return to_builtins(value)  # type: ignore[no-any-return]


def contributions() -> list[object]:
    """What the admin panel shows for analytics."""
    return [
        DashboardWidget(plugin="analytics", name="platform", title="Platform", permission=VIEW, load=platform_widget),
        AdminPage(plugin="analytics", slug="daily", title="Daily figures", permission=VIEW, load=load_daily,
                  section="Analytics",
                  columns=[Column("day", "Day"), Column("active_users", "Active users", "number"),
                           Column("events_submitted", "Submitted", "number"),
                           Column("events_published", "Published", "number"), Column("joins", "Joins", "number"),
                           Column("moderation_decisions", "Decisions", "number"),
                           Column("moderation_avg_s", "Avg. to decision (s)", "number")]),
        AdminPage(plugin="analytics", slug="ideas", title="RICE board", permission=MANAGE, load=load_ideas,
                  section="Analytics",
                  columns=[Column("title", "Idea"), Column("reach", "Reach", "number"),
                           Column("impact", "Impact", "number"), Column("confidence", "Confidence %", "number"),
                           Column("effort", "Effort", "number"), Column("score", "Score", "number"),
                           Column("status", "Status", "badge")],
                  filters=[Filter("status", "Status", choices=["open", "planned", "done", "dropped"])]),
        AdminPage(plugin="analytics", slug="experiments", title="Experiments", permission=MANAGE,
                  load=load_experiments, section="Analytics",
                  columns=[Column("key", "Key"), Column("name", "Name"), Column("status", "Status", "badge"),
                           Column("exposures", "Exposures", "number"), Column("conversions", "Conversions", "number"),
                           Column("p_value", "p", "number"), Column("significant", "Significant", "badge")],
                  filters=[Filter("status", "Status", choices=["draft", "running", "stopped"])]),
    ]
