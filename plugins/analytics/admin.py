"""Admin panel contributions: the platform widget, the RICE board and experiments (editable), daily figures."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import msgspec

from core import clock
from core.admin import (
    Action,
    ActionContext,
    ActionResult,
    AdminPage,
    AdminQuery,
    Chart,
    Column,
    DashboardWidget,
    Field,
    Filter,
    Form,
    Page,
    Stat,
)
from core.errors import Conflict, NotFound, ValidationFailed
from plugins.analytics import charts, dashboards, experiments, rice
from plugins.analytics.schemas import ExperimentCreate, ExperimentUpdate, IdeaCreate, IdeaUpdate, Variant

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
    """The platform's days in the chosen range (the panel checked the dates), the last 30 days by default."""
    day_from, day_to = query.filters.get("day_from"), query.filters.get("day_to")
    since, until = dashboards.date_range(date.fromisoformat(day_from) if day_from else None,
                                         date.fromisoformat(day_to) if day_to else None)
    board = await dashboards.platform_dashboard(since, until)
    return Page(items=[_plain(d) for d in reversed(board.days)])


def _plain(value: Any) -> dict[str, Any]:
    from plugins.analytics.schemas import to_builtins

    return to_builtins(value)  # type: ignore[no-any-return]


S = TypeVar("S", bound=msgspec.Struct)
_AT = re.compile(r"at `\$\.(\w+)")


def _struct(kind: type[S], values: Mapping[str, Any]) -> S:
    """The service's own schema from form values; its field rules become errors on the form's fields."""
    plain = {k: float(v) if isinstance(v, Decimal) else v for k, v in values.items() if v is not None}
    try:
        return msgspec.convert(plain, kind)
    except msgspec.ValidationError as exc:
        found = _AT.search(str(exc))
        detail = str(exc).split(" - at ")[0]
        raise ValidationFailed(detail, errors=[{"pointer": f"/{found.group(1) if found else ''}",
                                                "detail": detail}]) from None


# ---------------------------------------------------------------------------------------------------------------------
# The RICE board
# ---------------------------------------------------------------------------------------------------------------------

IDEA_STATUSES = [("open", "Open"), ("planned", "Planned"), ("done", "Done"), ("dropped", "Dropped")]
IDEA_FIELDS = [
    Field("title", "Idea", required=True, max_length=200),
    Field("description", "Description", kind="textarea", max_length=10_000),
    Field("reach", "Reach", kind="int", required=True, help="People per quarter."),
    Field("impact", "Impact", kind="decimal", required=True, default=1,
          help="0.25 minimal · 0.5 low · 1 medium · 2 high · 3 massive."),
    Field("confidence", "Confidence %", kind="int", required=True, default=80, help="0 to 100."),
    Field("effort", "Effort", kind="decimal", required=True, default=1, help="Person-months."),
    Field("status", "Status", kind="choice", choices=IDEA_STATUSES, required=True, default="open"),
]


async def _idea(object_id: str) -> Mapping[str, Any] | None:
    if not object_id.isdigit() or len(object_id) > 18:
        return None
    try:
        return _plain(await rice.get_idea(int(object_id)))
    except NotFound:
        return None


async def save_idea(ctx: ActionContext, object_id: str | None, values: Mapping[str, Any]) -> str:
    """Create or change an idea through the RICE board's service (the score follows)."""
    if object_id is None:
        return str((await rice.create_idea(_struct(IdeaCreate, values), ctx.staff_id)).id)
    return str((await rice.update_idea(int(object_id), _struct(IdeaUpdate, values), ctx.staff_id)).id)


async def delete_ideas(ctx: ActionContext) -> ActionResult:
    """Remove ideas from the board."""
    for object_id in ctx.ids:
        await rice.delete_idea(int(object_id), ctx.staff_id)
    return ActionResult(f"Deleted {len(ctx.ids)} idea(s).", redirect="/admin/p/analytics/ideas")


async def set_idea_status(ctx: ActionContext) -> ActionResult:
    """Move the selected ideas to one status."""
    status = ctx.values["status"]
    for object_id in ctx.ids:
        await rice.update_idea(int(object_id), IdeaUpdate(status=status), ctx.staff_id)
    return ActionResult(f"{len(ctx.ids)} idea(s) now {status}.")


# ---------------------------------------------------------------------------------------------------------------------
# Experiments
# ---------------------------------------------------------------------------------------------------------------------

EXPERIMENT_FIELDS = [
    Field("key", "Key", required=True, max_length=64, help="Lowercase letters, digits, - and _; fixed once created."),
    Field("name", "Name", required=True, max_length=200),
    Field("description", "Description", kind="textarea", max_length=5000),
    Field("goal", "Goal", max_length=64, help="The conversion that counts (e.g. event_joined); may be empty."),
    Field("variants", "Variants", kind="textarea", required=True, max_length=2000, default="control 50\nvariant 50",
          help="One per line: key and weight. The first is the control."),
]
_VARIANT = re.compile(r"^([a-z0-9][a-z0-9_-]{0,63})\s+(\d{1,5})$")


def _variants(text: str) -> list[Variant]:
    out = []
    for line in (x.strip() for x in text.splitlines()):
        if not line:
            continue
        m = _VARIANT.match(line)
        if m is None:
            raise ValidationFailed(errors=[{"pointer": "/variants",
                                            "detail": f"Write each variant as a key and a weight: {line[:60]!r}."}])
        out.append(Variant(key=m.group(1), weight=int(m.group(2))))
    return out


async def _experiment(key: str) -> Mapping[str, Any] | None:
    try:
        exp = await experiments.get(key)
    except NotFound:
        return None
    return {"key": exp.key, "name": exp.name, "description": exp.description, "goal": exp.goal,
            "variants": "\n".join(f"{v.key} {v.weight}" for v in exp.variants), "status": exp.status}


async def experiment_detail(key: str) -> Mapping[str, Any] | None:
    """An experiment with its results per variant."""
    found = await _experiment(key)
    if found is None:
        return None
    res = await experiments.results(key)
    lines = [f"{v.variant}: {v.conversions}/{v.exposures}"
             + (f" ({v.conversion_rate:.1%})" if v.conversion_rate is not None else "")
             + (f", p={v.p_value:.4f}" if v.p_value is not None else "") for v in res.variants]
    return {**found, "results": "\n".join(lines),
            "p_value": round(res.chi2_p_value, 4) if res.chi2_p_value is not None else None,
            "significant": "yes" if res.significant else "no"}


async def save_experiment(ctx: ActionContext, key: str | None, values: Mapping[str, Any]) -> str:
    """Create a draft, or edit it while it is a draft, through the experiments service."""
    data = {**values, "variants": [msgspec.structs.asdict(v) for v in _variants(values["variants"])]}
    if key is None:
        try:
            return (await experiments.create(_struct(ExperimentCreate, data), ctx.staff_id)).key
        except Conflict as exc:
            raise ValidationFailed(errors=[{"pointer": "/key", "detail": "This key is taken."}]) from exc
    if values["key"] != key:
        raise ValidationFailed(errors=[{"pointer": "/key", "detail": "The key cannot change."}])
    data.pop("key")
    try:
        return (await experiments.update(key, _struct(ExperimentUpdate, data), ctx.staff_id)).key
    except Conflict as exc:
        raise ValidationFailed(exc.detail, errors=[{"pointer": "", "detail": exc.detail}]) from exc


def _move(status: str, done: str) -> Any:
    async def run(ctx: ActionContext) -> ActionResult:
        for key in ctx.ids:
            await experiments.update(key, ExperimentUpdate(status=status), ctx.staff_id)
        return ActionResult(done)

    return run


def contributions() -> list[object]:
    """What the admin panel shows for analytics."""
    return [
        DashboardWidget(plugin="analytics", name="platform", title="Platform", permission=VIEW, load=platform_widget),
        Chart(plugin="analytics", name="daily", title="Daily figures", load=charts.daily, permission=VIEW, order=10,
              description="Active users, events submitted and published, joins (UTC days).", unit="per day"),
        Chart(plugin="analytics", name="moderation", title="Moderation load", load=charts.moderation_load,
              permission=VIEW, order=21, unit="events",
              description="Events waiting for review at the end of each day, and the decisions moderators made."),
        Chart(plugin="analytics", name="decision-time", title="Time to decision", load=charts.decision_time,
              permission=VIEW, order=22, unit="hours",
              description="Median hours from an event's submission to a moderator's decision, per day decided."),
        AdminPage(plugin="analytics", slug="daily", title="Daily figures", permission=VIEW, load=load_daily,
                  section="Analytics",
                  columns=[Column("day", "Day"), Column("active_users", "Active users", "number"),
                           Column("events_submitted", "Submitted", "number"),
                           Column("events_published", "Published", "number"), Column("joins", "Joins", "number"),
                           Column("moderation_decisions", "Decisions", "number"),
                           Column("moderation_avg_s", "Avg. to decision (s)", "number"),
                           Column("tickets_opened", "Tickets opened", "number"),
                           Column("tickets_resolved", "Tickets resolved", "number"),
                           Column("searches", "Searches", "number"),
                           Column("searches_no_results", "Searches with no results", "number")],
                  filters=[Filter("day", "Day", kind="date")]),
        AdminPage(plugin="analytics", slug="ideas", title="RICE board", permission=MANAGE, load=load_ideas,
                  section="Analytics", detail=_idea, form=Form(fields=IDEA_FIELDS, load=_idea, save=save_idea),
                  actions=[
                      Action("set-status", "Set status", permission=MANAGE, run=set_idea_status, bulk=True,
                             confirm="Move the selected ideas to this status?",
                             fields=[Field("status", "Status", kind="choice", choices=IDEA_STATUSES,
                                           required=True)]),
                      Action("delete", "Delete", permission=MANAGE, run=delete_ideas, danger=True,
                             confirm="Delete this idea from the board?"),
                  ],
                  columns=[Column("title", "Idea"), Column("reach", "Reach", "number"),
                           Column("impact", "Impact", "number"), Column("confidence", "Confidence %", "number"),
                           Column("effort", "Effort", "number"), Column("score", "Score", "number"),
                           Column("status", "Status", "badge")],
                  filters=[Filter("status", "Status", choices=["open", "planned", "done", "dropped"])]),
        AdminPage(plugin="analytics", slug="experiments", title="Experiments", permission=MANAGE,
                  load=load_experiments, section="Analytics", key="key", detail=experiment_detail,
                  form=Form(fields=EXPERIMENT_FIELDS, load=_experiment, save=save_experiment),
                  actions=[
                      Action("start", "Start", permission=MANAGE, run=_move("running", "Started."),
                             confirm="Start the experiment? Its variants cannot change afterwards.",
                             visible=lambda row: row.get("status") == "draft"),
                      Action("stop", "Stop", permission=MANAGE, run=_move("stopped", "Stopped."), danger=True,
                             confirm="Stop the experiment for good? It cannot run again.",
                             visible=lambda row: row.get("status") == "running"),
                  ],
                  columns=[Column("key", "Key"), Column("name", "Name"), Column("status", "Status", "badge"),
                           Column("exposures", "Exposures", "number"), Column("conversions", "Conversions", "number"),
                           Column("p_value", "p", "number"), Column("significant", "Significant", "badge")],
                  filters=[Filter("status", "Status", choices=["draft", "running", "stopped"])]),
    ]
