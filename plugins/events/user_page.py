"""What the admin panel's user page shows of events: the events a user organised and the ones they joined."""

from __future__ import annotations

from typing import Any

from core.i18n import N_
from plugins.events.tables import Event, Participation

SHOWN = 10
EVENT_PAGE = "/admin/moderation/events.review/{id}"


async def sections(user_id: int) -> list[dict[str, Any]]:
    """Two sections: the user's recent events (with their status) and their recent joins (with theirs)."""
    events = await Event.select(Event.id, Event.title, Event.status, Event.starts_at).where(
        Event.author == user_id, Event.deleted_at.is_null()).order_by(Event.id, ascending=False).limit(SHOWN)
    organised = await Event.count().where(Event.author == user_id, Event.deleted_at.is_null())
    joins = await Participation.select(
        Participation.event.id.as_alias("event_id"), Participation.event.title.as_alias("title"),
        Participation.status, Participation.event.starts_at.as_alias("starts_at"),
    ).where(Participation.user == user_id).order_by(Participation.id, ascending=False).limit(SHOWN)
    joined = await Participation.count().where(Participation.user == user_id)
    return [
        {"title": N_("Events organised"), "total": organised, "rows": [
            {"label": f"#{e['id']} {e['title']}", "value": f"{e['status']} · {e['starts_at']:%Y-%m-%d %H:%M} UTC",
             "url": EVENT_PAGE.format(id=e["id"])} for e in events]},
        {"title": N_("Events joined"), "total": joined, "rows": [
            {"label": f"#{j['event_id']} {j['title']}", "value": f"{j['status']} · {j['starts_at']:%Y-%m-%d} UTC",
             "url": EVENT_PAGE.format(id=j["event_id"])} for j in joins]},
    ]
