"""The reviews plugin's admin panel contributions: the queue of held and reported reviews, its widget, a list page."""

from __future__ import annotations

from typing import Any

from core.admin import (
    Action,
    ActionContext,
    ActionResult,
    AdminPage,
    AdminQuery,
    Column,
    DashboardWidget,
    Field,
    Filter,
    ModerationQueue,
    Page,
    QueueDetail,
    QueueItem,
    Stat,
)
from core.errors import NotFound, SborError
from core.pagination import decode_cursor, paginate
from plugins.events import api as events
from plugins.reviews import moderation, states
from plugins.reviews.store import COLUMNS, load
from plugins.reviews.tables import Review

PERMISSION = "reviews.moderate"
QUEUE_URL = "/admin/moderation/reviews.queue"
LIST_SCOPE = "reviews.admin.all"


def _review_id(raw: str) -> int:
    if not str(raw).isdigit() or len(str(raw)) > 18:
        raise NotFound("No such review.", code="review_not_found")
    return int(raw)


def _stars(rating: int) -> str:
    return "★" * rating + "☆" * (5 - rating) + f" ({rating}/5)"


async def _event_title(event_id: int) -> str:
    try:
        info = await events.get_event_info(event_id)
    except SborError:
        return f"#{event_id} (deleted)"
    return f"{info.title} (#{event_id}, {info.starts_at:%Y-%m-%d})"


def _why(row: dict[str, Any]) -> str:
    parts = []
    if row["status"] == states.HELD:
        parts.append(f"held: {row['hold_reason'] or 'edited after being hidden'}")
    if row["open_reports"]:
        parts.append(f"{row['open_reports']} report(s)")
    return "; ".join(parts)


async def _list(query: AdminQuery) -> tuple[list[QueueItem], str | None]:
    rows, nxt = await moderation.queue_page(query.cursor, query.limit, status=query.filters.get("status"),
                                            search=query.search)
    items = [QueueItem(id=r["id"], title=f"{_stars(r['rating'])} — {await _event_title(r['event_id'])}",
                       submitted_at=r["flagged_at"], author_id=r["author_id"], summary=_why(r)) for r in rows]
    return items, nxt


async def _matching(query: AdminQuery) -> int:
    return await moderation.count_matching(query.filters.get("status"), query.search)


async def _detail(item_id: str) -> QueueDetail:
    review_id = _review_id(item_id)
    r = await load(review_id)
    record = await moderation.author_history(r["author_id"])
    reports = await moderation.reports_of(review_id)
    fields: list[tuple[str, Any]] = [
        ("Event", await _event_title(r["event_id"])),
        ("Rating", _stars(r["rating"])),
        ("Text", r["text"] or None),
        ("Tags", ", ".join(r["tags"] or []) or None),
        ("Would go again", {True: "yes", False: "no", None: None}[r["would_go_again"]]),
        ("Why it waits", _why(r) or None),
        ("Reports", "; ".join(f"#{p['reporter_id']}: {p['text'] or p['reason']}" for p in reports) or None),
        ("Author's reviews", ", ".join(f"{n} {status}" for status, n in record.items())),
        ("Organiser's reply", r["reply"]),
        ("Found helpful by", r["helpful"]),
        ("Written", r["created_at"]),
        ("Last edited", r["updated_at"]),
    ]
    history = [{"at": m["at"], "actor_id": m["actor_id"],
                "what": f"{m['from_status'] or 'written'} → {m['to_status']}" + (f": {m['reason']}" if m["reason"]
                                                                                   else "")}
               for m in await moderation.history(review_id)]
    decidable = r["flagged_at"] is not None and r["status"] in moderation.WAITING and not r["event_deleted"]
    return QueueDetail(id=review_id, title=f"Review #{review_id} by {r['author_name']}", fields=fields,
                       author_id=r["author_id"], history=history, status=r["status"], decidable=decidable)


async def _approve(item_id: str, moderator_id: int) -> None:
    await moderation.approve(_review_id(item_id), moderator_id)


async def _hide(item_id: str, moderator_id: int, reason: str) -> None:
    await moderation.hide(_review_id(item_id), moderator_id, reason)


async def _waiting() -> list[Stat]:
    n = await moderation.count_waiting()
    return [Stat("Reviews to check", n, QUEUE_URL, "warn" if n else "")]


async def _all(query: AdminQuery) -> Page:
    where = []
    status = query.filters.get("status")
    if status in states.STATUSES:
        where.append(Review.status == status)
    if query.search.isdigit():
        where.append(Review.event_id == int(query.search))
    if query.cursor:
        (after,) = decode_cursor(query.cursor, int, scope=LIST_SCOPE)
        where.append(Review.id < after)
    rows = await Review.select(*COLUMNS).where(*where).order_by(Review.id, ascending=False).limit(query.limit + 1)
    items, nxt = paginate(rows, query.limit, key=lambda r: (r["id"],), scope=LIST_SCOPE)
    return Page(items=[{"id": r["id"], "event_id": r["event_id"], "author_id": r["author_id"],
                        "author": r["author_name"], "rating": r["rating"], "status": r["status"],
                        "helpful": r["helpful"], "flagged": r["flagged_at"] is not None,
                        "created_at": r["created_at"]} for r in items], next_cursor=nxt)


async def _one(object_id: str) -> dict[str, Any] | None:
    """The detail of one review for the list page's object view (its fields, then the row actions)."""
    try:
        detail = await _detail(object_id)
    except SborError:
        return None
    return {"status": detail.status, **{label: value for label, value in detail.fields}}


def _each(ctx: ActionContext) -> list[int]:
    return [_review_id(i) for i in ctx.ids]


async def _approve_action(ctx: ActionContext) -> ActionResult:
    for review_id in _each(ctx):
        await moderation.approve(review_id, ctx.staff_id)
    return ActionResult("Approved.")


async def _hide_action(ctx: ActionContext) -> ActionResult:
    for review_id in _each(ctx):
        await moderation.hide(review_id, ctx.staff_id, str(ctx.values["reason"]))
    return ActionResult("Hidden; the author was told why.")


async def _remove_action(ctx: ActionContext) -> ActionResult:
    for review_id in _each(ctx):
        await moderation.remove(review_id, ctx.staff_id, str(ctx.values["reason"]))
    return ActionResult("Removed; the author was told why.")


REASON = Field("reason", "Reason (sent to the author)", "textarea", required=True, max_length=2000)
ACTIONS = (
    Action("approve", "Approve", PERMISSION, _approve_action,
           visible=lambda row: row.get("status") in (states.HELD, states.HIDDEN) or bool(row.get("flagged"))),
    Action("hide", "Hide", PERMISSION, _hide_action, fields=(REASON,),
           visible=lambda row: row.get("status") in (states.HELD, states.PUBLISHED)),
    Action("remove", "Remove", PERMISSION, _remove_action, fields=(REASON,), danger=True,
           confirm="Remove this review for good? Its author can no longer edit it.",
           visible=lambda row: row.get("status") != states.REMOVED),
)
"""Row actions of the reviews list page: approve, hide and remove (the queue itself offers approve and hide)."""


def contributions() -> list[Any]:
    """What ``register_admin_pages`` returns for reviews."""
    return [
        ModerationQueue(plugin="reviews", name="queue", title="Reviews to check", count=moderation.count_waiting,
                        list=_list, detail=_detail, approve=_approve, reject=_hide, permission=PERMISSION,
                        reject_label="Hide", searchable=True, total=_matching,
                        filters=[Filter("status", "Status", choices=list(moderation.WAITING))]),
        DashboardWidget(plugin="reviews", name="waiting", title="Reviews", load=_waiting, permission=PERMISSION,
                        order=30),
        AdminPage(plugin="reviews", slug="all", title="Reviews", permission=PERMISSION, load=_all, section="Reviews",
                  searchable=True, filters=[Filter("status", "Status", choices=list(states.STATUSES))],
                  actions=ACTIONS, detail=_one,
                  columns=[Column("id", "#", link=QUEUE_URL + "/{id}"), Column("event_id", "Event"),
                           Column("author", "Author", link="/admin/users/{author_id}"),
                           Column("rating", "Rating", "number"), Column("status", "Status", "badge"),
                           Column("helpful", "Helpful", "number"), Column("created_at", "Written", "datetime")]),
    ]
