"""The chat's admin panel contribution: the queue of open reports of chat messages (``groups.moderate``)."""

from __future__ import annotations

from typing import Any

from core.admin import AdminQuery, ModerationQueue, QueueDetail, QueueItem
from core.errors import NotFound
from core.pagination import decode_cursor, paginate
from plugins.groups.chat import services
from plugins.groups.tables import ChatReport

PERMISSION = "groups.moderate"
SCOPE = "groups.chat.reports"
QUEUE_URL = "/admin/moderation/groups.chat_reports"
RECENT_REPORTS = 5


def _report_id(raw: str) -> int:
    if not str(raw).isdigit() or len(str(raw)) > 18:
        raise NotFound("No such report.", code="report_not_found")
    return int(raw)


async def _count() -> int:
    return int(await ChatReport.count().where(ChatReport.status == "open"))


async def _list(query: AdminQuery) -> tuple[list[QueueItem], str | None]:
    select = ChatReport.select(ChatReport.id, ChatReport.reason, ChatReport.created_at, ChatReport.message.body,
                               ChatReport.message.kind, ChatReport.message.room_key, ChatReport.message.author
                               ).where(ChatReport.status == "open")
    if query.cursor is not None:
        (after,) = decode_cursor(query.cursor, int, scope=SCOPE)
        select = select.where(ChatReport.id > after)
    rows, cursor = paginate(await select.order_by(ChatReport.id).limit(query.limit + 1), query.limit,
                            key=lambda r: (r["id"],), scope=SCOPE)
    items = [QueueItem(id=r["id"], title=(r["message.body"] or "(deleted)")[:80], submitted_at=r["created_at"],
                       author_id=r["message.author"],
                       summary=f"{r['message.kind']}:{r['message.room_key']}: {r['reason'] or 'no reason given'}")
             for r in rows]
    return items, cursor


async def _detail(item_id: str) -> QueueDetail:
    report_id = _report_id(item_id)
    r = await ChatReport.select(*ChatReport.all_columns(), *ChatReport.message.all_columns()).where(
        ChatReport.id == report_id).first()
    if r is None:
        raise NotFound("No such report.", code="report_not_found")
    others = await ChatReport.count().where(ChatReport.message == r["message"])
    fields: list[tuple[str, Any]] = [
        ("Message", r["message.body"] or "(deleted)"),
        ("Conversation", f"{r['message.kind']}:{r['message.room_key']}"),
        ("Message status", r["message.status"]),
        ("Posted", r["message.created_at"]),
        ("Reported by", r["reporter"]),
        ("Reason", r["reason"] or "(none)"),
        ("Reports of this message", others),
    ]
    history = [{"at": r["created_at"], "actor_id": r["reporter"], "what": "reported"}]
    if r["resolved_at"]:
        history.append({"at": r["resolved_at"], "actor_id": r["resolved_by"], "what": r["status"]})
    return QueueDetail(id=report_id, title=f"Report {report_id} of message {r['message']}", fields=fields,
                       author_id=r["message.author"], history=history, status=r["status"],
                       decidable=r["status"] == "open")


async def _approve(item_id: str, staff_id: int) -> None:
    await services.uphold(_report_id(item_id), staff_id)


async def _reject(item_id: str, staff_id: int, reason: str) -> None:
    await services.dismiss(_report_id(item_id), staff_id, reason)


async def reports_context(user_id: int, permissions: frozenset[str]) -> dict[str, Any]:
    """Beside a support ticket: chat reports the user made and received (counts, then the latest few of each).

    Every agent sees the counts, statuses and reasons (never the messages); links into the queue only for those
    who may open it (``groups.moderate``).
    """
    from core.users import services as users

    linked = users.allows(permissions, PERMISSION)
    rows: list[dict[str, Any]] = []
    for side, where in (("made", ChatReport.reporter == user_id), ("received", ChatReport.message.author == user_id)):
        total = await ChatReport.count().where(where)
        still_open = await ChatReport.count().where(where & (ChatReport.status == "open"))
        rows.append({"label": f"Reports {side}", "value": f"{total} ({still_open} open)",
                     **({"url": QUEUE_URL} if linked and still_open else {})})
        latest = await ChatReport.select(ChatReport.id, ChatReport.status, ChatReport.reason, ChatReport.created_at
                                         ).where(where).order_by(ChatReport.id, ascending=False).limit(RECENT_REPORTS)
        rows += [{"label": f"{side}: report #{r['id']} {r['status']} {r['created_at']:%Y-%m-%d}",
                  "value": r["reason"][:120] or "(no reason)", **({"url": f"{QUEUE_URL}/{r['id']}"} if linked else {})}
                 for r in latest]
    return {"title": "Chat reports", "rows": rows}


def contributions() -> list[Any]:
    """What ``register_admin_pages`` returns for the chat: approve deletes the message, reject dismisses the report."""
    return [ModerationQueue(plugin="groups", name="chat_reports", title="Reported chat messages", count=_count,
                            list=_list, detail=_detail, approve=_approve, reject=_reject, permission=PERMISSION)]

