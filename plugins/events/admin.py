"""The events plugin's admin panel contributions: the moderation queue (filters, orders, a total) and a widget."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from piccolo.columns.combination import WhereRaw
from piccolo.custom_types import Combinable

from core.admin import AdminQuery, Column, DashboardWidget, Filter, ModerationQueue, QueueDetail, QueueItem, Sort, Stat
from core.errors import NotFound
from core.i18n import N_
from core.pagination import decode_cursor, paginate
from core.reports import services as reports
from plugins.events import api
from plugins.events.store import event_columns, events_where, load_event
from plugins.events.tables import Event

PERMISSION = "events.moderate"


def _event_id(raw: str) -> int:
    if not str(raw).isdigit() or len(str(raw)) > 18:
        raise NotFound("No such event.", code="event_not_found")
    return int(raw)


async def _count() -> int:
    return (await api.count_by_status()).get("pending_review", 0)


# The queue at volume: search, typed filters (the panel checks their values), three orders, a total.
# Events have no language field: the language filter tells Russian (Cyrillic in the title or description) from the
# rest.

REPORTED = ("(SELECT coalesce(max(c.reporters), 0) FROM reports.case_file c WHERE c.target_type = 'events.event' "
            "AND c.target_id = \"event\".\"id\" AND c.status = 'open') >= {}")
CYRILLIC = "(\"event\".\"title\" || ' ' || \"event\".\"description\") ~ '[\\u0400-\\u04FF]'"
SORTS = {"submitted": ((Event.submitted_at, True), "events.queue.submitted"),
         "newest": ((Event.submitted_at, False), "events.queue.newest"),
         "starts": ((Event.starts_at, True), "events.queue.starts")}
FILTERS = [Filter("author", "Author"), Filter("city", "City"), Filter("category", "Category"),
           Filter("language", "Language", choices=["ru", "en"]), Filter("submitted", "Submitted", kind="date"),
           Filter("starts", "Starts", kind="date"), Filter("reports", "Reports (at least)", kind="int")]


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _day(value: str, tz: str, *, end: bool) -> datetime:
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    day = date.fromisoformat(value) + (timedelta(days=1) if end else timedelta())
    return datetime.combine(day, time(), tzinfo=zone)


def _where(query: AdminQuery) -> list[Combinable]:
    f = query.filters
    where: list[Combinable] = [Event.status == "pending_review"]
    if query.search:
        where.append(Event.title.ilike(_like(query.search)) | Event.description.ilike(_like(query.search)))
    if f.get("author"):
        where.append(Event.author == int(f["author"]) if f["author"].isdigit()
                     else Event.author.display_name.ilike(_like(f["author"])))
    if f.get("city"):
        where.append(Event.venue.city.ilike(_like(f["city"])))
    if f.get("category"):
        where.append(Event.category == f["category"])
    if f.get("language") == "ru":
        where.append(WhereRaw(CYRILLIC))
    elif f.get("language") == "en":
        where.append(WhereRaw(f"NOT {CYRILLIC}"))
    for name, column in (("submitted", Event.submitted_at), ("starts", Event.starts_at)):
        if f.get(f"{name}_from"):
            where.append(column >= _day(f[f"{name}_from"], query.timezone, end=False))
        if f.get(f"{name}_to"):
            where.append(column < _day(f[f"{name}_to"], query.timezone, end=True))
    if f.get("reports"):
        where.append(WhereRaw(REPORTED, int(f["reports"])))
    return where


async def _total(query: AdminQuery) -> int:
    return int(await Event.count().where(Event.deleted_at.is_null(), *_where(query)))


async def _list(query: AdminQuery) -> tuple[list[QueueItem], str | None]:
    (column, ascending), scope = SORTS.get(query.sort) or SORTS["submitted"]
    where = _where(query)
    if query.cursor:
        at, after = decode_cursor(query.cursor, datetime, int, scope=scope)
        where.append((column > at) | ((column == at) & (Event.id > after)) if ascending
                     else (column < at) | ((column == at) & (Event.id < after)))
    key = "submitted_at" if column is Event.submitted_at else "starts_at"
    rows = await events_where(*where, order_by=(column, Event.id), limit=query.limit + 1) if ascending else \
        await Event.select(*event_columns()).where(Event.deleted_at.is_null(), *where).order_by(
            column, Event.id, ascending=False).limit(query.limit + 1)
    page, nxt = paginate(rows, query.limit, key=lambda r: (r[key], r["id"]), scope=scope)
    reported = await reports.open_reporters("events.event", [r["id"] for r in page])
    items = [
        QueueItem(id=r["id"], title=r["title"], submitted_at=r["submitted_at"], author_id=r["author_id"],
                  summary=", ".join(x for x in (r["venue_name"], r["venue_city"],
                                                "online" if r["online_url"] else None) if x),
                  values={"starts_at": r["starts_at"], "timezone": r["timezone"], "city": r["venue_city"] or None,
                          "category": r["category"], "reports": reported.get(r["id"], 0)})
        for r in page
    ]
    return items, nxt


async def _detail(item_id: str) -> QueueDetail:
    event_id = _event_id(item_id)
    e = await load_event(event_id)
    venue = ", ".join(x for x in (e["venue_name"], e["venue_address"], e["venue_city"]) if x)
    fields: list[tuple[str, Any]] = [
        ("Status", e["status"]),
        ("Description", e["description"]),
        ("Starts", e["starts_at"]),
        ("Ends", e["ends_at"]),
        ("Venue timezone", e["timezone"]),
        ("Venue", venue or None),
        ("Coordinates", f"{e['latitude']}, {e['longitude']}" if e["latitude"] is not None else None),
        ("Online link", e["online_url"]),
        ("Capacity", e["capacity"] if e["capacity"] is not None else "unlimited"),
        ("Price", e["price_text"] or (None if e["price_cents"] is None else f"{e['price_cents'] / 100:.2f}")),
        ("Category", e["category"]),
        ("Tags", ", ".join(e["tags"] or [])),
        ("Visibility", e["visibility"]),
        ("Joining needs approval", "yes" if e["requires_approval"] else "no"),
        ("Cover", e["cover_ref"]),
        ("Series", e["series_id"]),
        ("Submitted", e["submitted_at"]),
        ("Created", e["created_at"]),
        ("Last edited", e["updated_at"]),
    ]
    history = [
        {"at": m.at, "actor_id": m.actor_id,
         "what": f"{m.from_status or 'created'} → {m.to_status}" + (f": {m.reason}" if m.reason else "")}
        for m in await api.event_history(event_id)
    ]
    return QueueDetail(id=event_id, title=e["title"], fields=fields, author_id=e["author_id"], history=history,
                       status=e["status"], decidable=e["status"] == "pending_review", timezone=e["timezone"],
                       local_times=("Starts", "Ends"))


async def _approve(item_id: str, moderator_id: int) -> None:
    await api.approve(_event_id(item_id), moderator_id)


async def _reject(item_id: str, moderator_id: int, reason: str) -> None:
    await api.reject(_event_id(item_id), moderator_id, reason)


STATUS_LABELS = {"draft": N_("Draft"), "pending_review": N_("Pending review"), "published": N_("Published"),
                 "rejected": N_("Rejected"), "cancelled": N_("Cancelled"), "finished": N_("Finished"),
                 "hidden": N_("Hidden after reports")}
"""The dashboard's names of the statuses (translated where shown)."""


async def _by_status() -> list[Stat]:
    counts = await api.count_by_status()
    return [Stat(STATUS_LABELS.get(status, status.replace("_", " ").capitalize()), n,
                 "/admin/moderation/events.review" if status == "pending_review" else None,
                 "warn" if status == "pending_review" and n else "")
            for status, n in counts.items()]


def contributions() -> list[Any]:
    """What ``register_admin_pages`` returns for events."""
    return [
        ModerationQueue(plugin="events", name="review", title="Events to review", count=_count, list=_list,
                        detail=_detail, approve=_approve, reject=_reject, permission=PERMISSION, searchable=True,
                        total=_total, filters=FILTERS,
                        sorts=[Sort("submitted", "Oldest submitted first"), Sort("newest", "Newest submitted first"),
                               Sort("starts", "Starting soonest")],
                        columns=[Column("starts_at", "Starts", "datetime", tz="timezone"), Column("city", "City"),
                                 Column("category", "Category"), Column("reports", "Reports", "number")]),
        DashboardWidget(plugin="events", name="by_status", title="Events by status", load=_by_status,
                        permission="admin.access", order=20),
    ]
