"""What "for you" learns from: joins, reviews, views and dismissals, group memberships; recorded inside each change."""

from __future__ import annotations

from typing import Any

from core import clock
from plugins.events import api as events
from plugins.events.hookspecs import EventInfo
from plugins.search.tables import BlockedOrganiser, Going, Membership, Signal

STRENGTH = {"joined": 3.0, "viewed": 1.0, "dismissed": 0.0}


async def record(user_id: int, event: EventInfo, kind: str, strength: float | None = None) -> None:
    """Remember (or refresh) that ``user_id`` did ``kind`` with ``event``; joins the caller's transaction."""
    await Signal.insert(Signal(user_id=user_id, event_id=event.id, kind=kind, tags=list(event.tags),
                               category=event.category, author_id=event.author_id,
                               strength=STRENGTH.get(kind, 1.0) if strength is None else strength,
                               at=clock.now())).on_conflict(
        target=(Signal.user_id, Signal.event_id, Signal.kind), action="DO UPDATE",
        values=[Signal.strength, Signal.at, Signal.tags, Signal.category])


async def joined(event: EventInfo, user_id: int, status: str) -> None:
    """A confirmed participant is going; any join teaches their taste."""
    await record(user_id, event, "joined")
    if status == "confirmed":
        await Going.insert(Going(event_id=event.id, user_id=user_id)).on_conflict(action="DO NOTHING")


async def left(event: EventInfo, user_id: int) -> None:
    """No longer going (the taste stays: they chose it once)."""
    await Going.delete().where((Going.event_id == event.id) & (Going.user_id == user_id))


async def reviewed(event_id: int, user_id: int, rating: int) -> None:
    """A review: 5 stars teaches more than a join, 1 star teaches the opposite."""
    found = (await events.event_documents([event_id])).get(event_id)
    if found is not None:
        await record(user_id, found.info, "reviewed", (rating - 2.5) * 1.2)


async def viewed(user_id: int, event_id: int) -> None:
    """The app showed the user the event's page."""
    await record(user_id, await events.get_event_info(event_id), "viewed")


async def dismiss(user_id: int, event_id: int, organiser: bool) -> None:
    """Never show this event again (or any event of its organiser)."""
    event = await events.get_event_info(event_id)
    await record(user_id, event, "dismissed")
    if organiser:
        await BlockedOrganiser.insert(BlockedOrganiser(user_id=user_id, organiser_id=event.author_id)).on_conflict(
            action="DO NOTHING")


async def member(group_id: int, user_id: int, active: bool) -> None:
    """A group membership began or ended."""
    if active:
        await Membership.insert(Membership(group_id=group_id, user_id=user_id)).on_conflict(action="DO NOTHING")
    else:
        await Membership.delete().where((Membership.group_id == group_id) & (Membership.user_id == user_id))


async def erase(user_id: int) -> None:
    """Forget everything search knows about a user (their account is being deleted)."""
    for table, column in ((Signal, Signal.user_id), (BlockedOrganiser, BlockedOrganiser.user_id),
                          (Membership, Membership.user_id), (Going, Going.user_id)):
        await table.delete().where(column == user_id)


async def export(user_id: int) -> dict[str, Any]:
    """What search knows about a user, for their data export."""
    signals = await Signal.select(Signal.event_id, Signal.kind, Signal.at).where(Signal.user_id == user_id)
    blocked = await BlockedOrganiser.select(BlockedOrganiser.organiser_id).where(BlockedOrganiser.user_id == user_id)
    return {"signals": [{"event_id": s["event_id"], "kind": s["kind"], "at": s["at"].isoformat()} for s in signals],
            "blocked_organisers": [b["organiser_id"] for b in blocked]}
