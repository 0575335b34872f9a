"""The media plugin's admin panel: the queue as a thumbnail grid with bulk approve/reject, reports, the widget."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from piccolo.custom_types import Combinable

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
from core.errors import NotFound
from core.pagination import decode_cursor, paginate
from core.reports import services as reports
from plugins.media import delivery, moderation, states
from plugins.media.store import load, not_found, ref_of, renditions_of
from plugins.media.tables import Item

PERMISSION = "media.moderate"
SCOPE = "media.admin.queue"


def _id(raw: str) -> int:
    if not str(raw).isdigit() or len(str(raw)) > 12:
        raise not_found(raw)
    return int(raw)


async def _pending(query: AdminQuery) -> tuple[list[dict[str, Any]], str | None]:
    """Held items, oldest first (the ones waiting longest come first)."""
    where: list[Combinable] = [Item.status == (query.filters.get("status") or states.PENDING)]
    if query.filters.get("kind") in ("photo", "video"):
        where.append(Item.kind == query.filters["kind"])
    if query.cursor:
        at, after = decode_cursor(query.cursor, datetime, int, scope=SCOPE)
        where.append((Item.created_at > at) | ((Item.created_at == at) & (Item.id > after)))
    rows = await Item.select(*Item.all_columns(), Item.uploader.as_alias("uploader_id"),
                             Item.uploader.display_name.as_alias("uploader_name")).where(*where).order_by(
        Item.created_at, Item.id).limit(query.limit + 1)
    return paginate(rows, query.limit, key=lambda r: (r["created_at"], r["id"]), scope=SCOPE)


async def _row(r: dict[str, Any]) -> dict[str, Any]:
    files = (await delivery.urls(r)).files
    thumbs = sorted((x["width"], f"{x['name']}.{x['fmt']}") for x in renditions_of(r) if x["fmt"] == "jpg")
    return {"id": r["id"], "ref": ref_of(r["id"]), "thumbnail": files.get(thumbs[0][1], "") if thumbs else "",
            "kind": r["kind"], "status": r["status"], "uploader_id": r["uploader_id"],
            "uploader": r.get("uploader_name", ""), "event_id": r["event_id"], "target": r["target"],
            "hold_reason": r["hold_reason"], "reports": 0, "created_at": r["created_at"]}


async def load_queue(query: AdminQuery) -> Page:
    """The grid's page: thumbnails with the uploader and the event beside each (and the people reporting it)."""
    rows, nxt = await _pending(query)
    reported = await reports.open_reporters(moderation.MEDIA_TYPE, [r["id"] for r in rows])
    return Page(items=[{**await _row(r), "reports": reported.get(r["id"], 0)} for r in rows], next_cursor=nxt)


async def detail(raw_id: str) -> dict[str, Any] | None:
    """One item's fields for its detail page (with its open reports)."""
    try:
        row = await load(_id(raw_id))
    except NotFound:
        return None
    out = await _row(row)
    out.update({"width": row["width"], "height": row["height"], "duration_s": row["duration_s"],
                "error_code": row["error_code"], "reason": row["reason"],
                "open_reports": [f"{r['reason']}: {r['text']}" for r in await moderation.open_reports(row["id"])]})
    return out


async def _approve_action(ctx: ActionContext) -> ActionResult:
    done, skipped = await moderation.decide_many([_id(i) for i in ctx.ids], ctx.staff_id, True)
    return ActionResult(f"Approved {done}" + (f", {skipped} already decided" if skipped else ""))


async def _reject_action(ctx: ActionContext) -> ActionResult:
    reason = str(ctx.values.get("reason") or "")
    done, skipped = await moderation.decide_many([_id(i) for i in ctx.ids], ctx.staff_id, False, reason)
    return ActionResult(f"Rejected {done}" + (f", {skipped} already decided" if skipped else ""))


def _undecided(row: Any) -> bool:
    return bool(row.get("status") in (states.PENDING, states.APPROVED))


# The standard moderation queue (/admin/moderation/media.review): one item at a time with its detail and history.


async def _count() -> int:
    return int(await Item.count().where(Item.status == states.PENDING))


async def _list(query: AdminQuery) -> tuple[list[QueueItem], str | None]:
    kind = {"kind": query.filters["kind"]} if query.filters.get("kind") else {}
    rows, nxt = await _pending(AdminQuery(filters=kind, cursor=query.cursor, limit=query.limit))
    reported = await reports.open_reporters(moderation.MEDIA_TYPE, [r["id"] for r in rows])
    return [QueueItem(id=r["id"], title=f"{r['kind']} {ref_of(r['id'])}", submitted_at=r["created_at"],
                      author_id=r["uploader_id"], summary=r["hold_reason"],
                      values={"kind": r["kind"], "reports": reported.get(r["id"], 0)}) for r in rows], nxt


async def _total(query: AdminQuery) -> int:
    where: list[Combinable] = [Item.status == states.PENDING]
    if query.filters.get("kind") in ("photo", "video"):
        where.append(Item.kind == query.filters["kind"])
    return int(await Item.count().where(*where))


async def _detail(raw_id: str) -> QueueDetail:
    found = await detail(raw_id)
    if found is None:
        raise not_found(raw_id)
    fields = [(k.replace("_", " ").capitalize(), v) for k, v in found.items() if k not in ("id", "uploader_id")]
    return QueueDetail(id=found["id"], title=f"{found['kind']} {found['ref']}", fields=fields,
                       author_id=found["uploader_id"], status=found["status"],
                       decidable=found["status"] == states.PENDING)


async def _approve(raw_id: str, moderator_id: int) -> None:
    await moderation.approve(_id(raw_id), moderator_id)


async def _reject(raw_id: str, moderator_id: int, reason: str) -> None:
    await moderation.reject(_id(raw_id), moderator_id, reason)


async def _stats() -> list[Stat]:
    pending = await _count()
    reported = await reports.open_count(moderation.MEDIA_TYPE, hidden=False)
    failed = await Item.count().where(Item.status == states.FAILED)
    return [Stat("Waiting for review", pending, "/admin/p/media/queue", "warn" if pending else ""),
            Stat("Reported, still shown", reported, "/admin/p/reports/queue?type=media.item"),
            Stat("Refused by the checks", failed)]


def contributions() -> list[Any]:
    """What ``register_admin_pages`` returns for media."""
    actions = [
        Action("approve", "Approve", PERMISSION, _approve_action, bulk=True, confirm="Publish the selected items?",
               visible=_undecided),
        Action("reject", "Reject", PERMISSION, _reject_action, bulk=True, danger=True,
               confirm="Reject the selected items? Their look-alikes will be held from now on.",
               fields=[Field("reason", "Reason (the uploader reads it)", "textarea", required=True, max_length=2000)],
               visible=_undecided),
    ]
    return [
        AdminPage(plugin="media", slug="queue", title="Media to review", load=load_queue, permission=PERMISSION,
                  columns=[Column("id", "#"), Column("thumbnail", "Preview"), Column("kind", "Kind", "badge"),
                           Column("uploader", "Uploader", link="/admin/users/{uploader_id}"),
                           Column("event_id", "Event"), Column("hold_reason", "Why held"),
                           Column("reports", "Reports", "number"), Column("created_at", "Uploaded", "datetime")],
                  filters=[Filter("status", "Status", choices=[states.PENDING, states.APPROVED, states.REJECTED]),
                           Filter("kind", "Kind", choices=["photo", "video"])],
                  template="media/admin/queue.html", actions=actions, detail=detail, section="Moderation"),
        ModerationQueue(plugin="media", name="review", title="Media to review", count=_count, list=_list,
                        detail=_detail, approve=_approve, reject=_reject, permission=PERMISSION, total=_total,
                        filters=[Filter("kind", "Kind", choices=["photo", "video"])],
                        columns=[Column("kind", "Kind"), Column("reports", "Reports", "number")]),
        DashboardWidget(plugin="media", name="queue", title="Media", load=_stats, permission=PERMISSION, order=40),
    ]
