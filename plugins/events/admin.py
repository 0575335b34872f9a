"""The events plugin's admin panel contributions: the moderation queue and the events-by-status widget."""

from __future__ import annotations

from typing import Any

from core.admin import AdminQuery, DashboardWidget, ModerationQueue, QueueDetail, QueueItem, Stat
from core.errors import NotFound
from core.i18n import N_
from plugins.events import api
from plugins.events.store import load_event
from plugins.events.tables import Event

PERMISSION = "events.moderate"


def _event_id(raw: str) -> int:
    if not str(raw).isdigit() or len(str(raw)) > 18:
        raise NotFound("No such event.", code="event_not_found")
    return int(raw)


async def _count() -> int:
    return (await api.count_by_status()).get("pending_review", 0)


async def _list(query: AdminQuery) -> tuple[list[QueueItem], str | None]:
    page = await api.pending_review(limit=query.limit, cursor=query.cursor)
    ids = [e.id for e in page.items]
    submitted = {r["id"]: r["submitted_at"] for r in await Event.select(Event.id, Event.submitted_at).where(
        Event.id.is_in(ids))} if ids else {}
    items = [
        QueueItem(id=e.id, title=e.title, submitted_at=submitted.get(e.id), author_id=e.author_id,
                  summary=", ".join(x for x in (e.venue_name, e.city, "online" if e.online else None) if x))
        for e in page.items
    ]
    return items, page.next_cursor


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
                       status=e["status"], decidable=e["status"] == "pending_review")


async def _approve(item_id: str, moderator_id: int) -> None:
    await api.approve(_event_id(item_id), moderator_id)


async def _reject(item_id: str, moderator_id: int, reason: str) -> None:
    await api.reject(_event_id(item_id), moderator_id, reason)


STATUS_LABELS = {"draft": N_("Draft"), "pending_review": N_("Pending review"), "published": N_("Published"),
                 "rejected": N_("Rejected"), "cancelled": N_("Cancelled"), "finished": N_("Finished")}
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
                        detail=_detail, approve=_approve, reject=_reject, permission=PERMISSION),
        DashboardWidget(plugin="events", name="by_status", title="Events by status", load=_by_status,
                        permission="admin.access", order=20),
    ]
