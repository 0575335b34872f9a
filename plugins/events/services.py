"""The events' rules: venues, create/edit/delete, the status moves, history and the author's lists. No Litestar."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core import audit, clock, geo, hooks
from core.errors import Conflict, NotFound, PermissionDenied, PreconditionFailed
from core.hooks import hookspecs as core_specs
from core.hooks import plugin_settings
from core.reports import screening as text_screening
from core.reports import services as reports
from plugins.events import EventsSettings, hookspecs, reads, states, trust, validation
from plugins.events import cache as event_cache
from plugins.events.hookspecs import EventInfo
from plugins.events.participation import promote
from plugins.events.store import (
    Row,
    acts_as_author,
    group_access,
    info_of,
    load_event,
    may_see,
    move,
    record_creation,
    snapshot,
    transaction,
)
from plugins.events.tables import Event, Participation, StatusMove, Venue

log = logging.getLogger("plugins.events")

# Fields whose change sends a published event back to review (when remoderate_on_edit is on).
REMODERATED = {"starts_at", "ends_at", "venue_id", "online_url", "description"}
COLUMNS = {"venue_id": "venue"}  # API field -> column where they differ
VENUE_COLUMNS = (Venue.id, Venue.name, Venue.address, Venue.city, Venue.latitude, Venue.longitude, Venue.timezone,
                 Venue.pos_ref, Venue.created_by)


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user, whether they hold ``events.moderate``, and ``events.create`` (events of their own)."""

    user_id: int
    moderator: bool = False
    creator: bool = True


# ---------------------------------------------------------------------------------------------------------------------
# Venues
# ---------------------------------------------------------------------------------------------------------------------


async def create_venue(actor: Actor, data: dict[str, Any]) -> Row:
    """Create a venue (the schema checked the fields; the timezone must exist)."""
    validation.timezone(data["timezone"])
    rows = await Venue.insert(Venue(
        name=data["name"].strip(), address=data.get("address", ""), city=data.get("city", ""),
        latitude=data["latitude"], longitude=data["longitude"], timezone=data["timezone"],
        pos_ref=data.get("pos_ref"), created_by=actor.user_id, created_at=clock.now(),
        address_key=geo.address_key(f"{data.get('address', '')}, {data.get('city', '')}"),
    )).returning(*VENUE_COLUMNS)
    log.info("user %s created venue %s", actor.user_id, rows[0]["id"])
    return rows[0]


async def get_venue(venue_id: int) -> Row:
    """A venue or NotFound; ``rating``: its figures from the reviews plugin (None until there are enough)."""
    row = await Venue.select(*VENUE_COLUMNS, Venue.rating_figures).where(Venue.id == venue_id).first()
    if row is None:
        raise NotFound("venue %(venue_id)s not found", params={"venue_id": venue_id}, code="venue_not_found")
    return {**row, "rating": reads.figures_of(row.pop("rating_figures"))}


# ---------------------------------------------------------------------------------------------------------------------
# Create, edit, delete
# ---------------------------------------------------------------------------------------------------------------------


async def place_of(data: dict[str, Any], pointer: str = "") -> dict[str, Any]:
    """Resolve the venue: copy its coordinates and timezone onto the event."""
    if data.get("venue_id") is not None:
        venue = await Venue.select(Venue.latitude, Venue.longitude, Venue.timezone).where(
            Venue.id == data["venue_id"]).first()
        if venue is None:
            raise validation.fail(f"{pointer}/venue_id", "venue %(venue_id)s not found", "venue_not_found",
                                  params={"venue_id": data['venue_id']})
        return venue
    tz = validation.timezone(data.get("timezone") or "UTC", f"{pointer}/timezone")
    return {"latitude": None, "longitude": None, "timezone": tz}


async def insert_event(actor: Actor, data: dict[str, Any], series_id: int | None = None,
                       place: dict[str, Any] | None = None) -> int:
    """Insert a draft (fields already validated) and record its creation; return its id."""
    place = place or await place_of(data)
    now = clock.now()
    rows = await Event.insert(Event(
        title=data["title"].strip(), description=data.get("description", ""), tags=data.get("tags") or [],
        category=data.get("category"), cover_ref=data.get("cover_ref"), starts_at=data["starts_at"],
        ends_at=data["ends_at"], timezone=place["timezone"], venue=data.get("venue_id"),
        latitude=place["latitude"], longitude=place["longitude"], online_url=data.get("online_url"),
        capacity=data.get("capacity"), seats_taken=0, price_text=data.get("price_text", ""),
        price_cents=data.get("price_cents"), visibility=data.get("visibility", "public"), group_id=data.get("group_id"),
        share_key=secrets.token_urlsafe(12), requires_approval=bool(data.get("requires_approval")),
        author=actor.user_id, status=states.DRAFT, series=series_id, version=1, created_at=now, updated_at=now,
    )).returning(Event.id)
    event_id: int = rows[0]["id"]
    await record_creation(event_id, actor.user_id)
    return event_id


async def check_host(actor: Actor, data: dict[str, Any], pointer: str = "") -> None:
    """A group event needs a group whose events ``actor`` manages; members-only visibility needs a group."""
    group_id = data.get("group_id")
    if group_id is None:
        if not actor.creator:
            raise PermissionDenied("Requires permission events.create", code="permission_denied")
        if data.get("visibility") == "group":
            raise validation.fail(f"{pointer}/group_id", "a members-only event needs its group", "group_required")
        return
    access = await group_access(group_id, actor.user_id)
    if access is None:
        raise validation.fail(f"{pointer}/group_id", "group %(group_id)s not found", "group_not_found",
                              params={"group_id": group_id})
    if not access.manager:
        raise PermissionDenied("Only the group's moderators create its events", code="not_group_manager")


COVER_TARGET = "events.cover"


async def check_cover(user_id: int, ref: str | None, event_id: int) -> None:
    """A new cover is asked of media (core's ``media_ref_checked``; ``event_id`` 0 while creating).

    422 ``media_not_allowed`` (pointer ``/cover_ref``) when media refuses it; stored as given when nobody answers.
    """
    if ref is None:
        return
    answer = await hooks.first(core_specs.media_ref_checked, ref=ref, user_id=user_id, target=COVER_TARGET,
                               target_id=event_id)
    if answer is False:
        raise validation.fail("/cover_ref", "not your cover upload for this event, or not usable",
                              "media_not_allowed")


async def create_event(actor: Actor, data: dict[str, Any]) -> int:
    """Create a draft event for ``actor`` (for a group they manage, if ``group_id``); return its id."""
    validation.event_fields(data, creating=True)
    await check_host(actor, data)
    await check_cover(actor.user_id, data.get("cover_ref"), 0)
    async with transaction():
        event_id = await insert_event(actor, data)
    log.info("user %s created event %s", actor.user_id, event_id)
    return event_id


async def _author_only(row: Row, actor: Actor) -> None:
    """The author (or a manager of the hosting group) may; others get 403 if they may see the event, else 404."""
    if await acts_as_author(row, actor.user_id):
        return
    if not await may_see(row, actor.user_id, moderator=actor.moderator):
        raise NotFound("event %(id)s not found", params={"id": row['id']}, code="event_not_found")
    raise PermissionDenied("Only the author may change this event", code="not_event_author")


def check_if_match(row: Row, if_match: str | None) -> None:
    """``If-Match`` holds when it names the event's current version (``"e<id>v<version>…"``) or is ``*``."""
    if if_match is None:
        return
    want = f'"e{row["id"]}v{row["version"]}'
    tags = [t.strip().removeprefix("W/") for t in if_match.split(",")]
    if not any(t == "*" or t == want + '"' or t.startswith(want + "-") for t in tags):
        raise PreconditionFailed("The event changed since you read it; reload and retry", code="etag_mismatch",
                                 current_version=row["version"])


async def update_event(actor: Actor, event_id: int, changes_in: dict[str, Any], if_match: str | None = None) -> None:
    """Apply the author's edit; published events go back to review when the setting says so."""
    async with transaction():
        row = await load_event(event_id, lock=True)
        await _author_only(row, actor)
        check_if_match(row, if_match)
        if row["status"] in (states.CANCELLED, states.FINISHED):
            raise Conflict("A %(status)s event cannot be edited",
                           params={"status": row['status']}, code="event_not_editable")
        merged = {**row, **changes_in}
        merged["_check_start"] = any(k in changes_in and changes_in[k] != row[k] for k in ("starts_at", "ends_at"))
        validation.event_fields(merged, creating=False)
        capacity = merged.get("capacity")
        if capacity is not None and capacity < row["seats_taken"]:
            raise validation.fail("/capacity", "%(seats_taken)s seats are already taken",
                                  "capacity_below_participants", params={"seats_taken": row['seats_taken']})
        changes = {k: (row[k], v) for k, v in changes_in.items() if row[k] != v}
        if not changes:
            return
        if "cover_ref" in changes:
            await check_cover(actor.user_id, changes_in["cover_ref"], event_id)
        sets = dict(changes_in)
        if "venue_id" in changes or "timezone" in changes:
            sets.update(await place_of(merged))
        values: dict[Any, Any] = {Event._meta.get_column_by_name(COLUMNS.get(k, k)): v for k, v in sets.items()}
        await Event.update({**values, Event.version: Event.version + 1, Event.updated_at: clock.now()}).where(
            Event.id == event_id)
        if "capacity" in changes:
            await promote(event_id)
        remoderate = (row["status"] == states.PUBLISHED and plugin_settings(EventsSettings).remoderate_on_edit
                      and bool(REMODERATED & set(changes)))
        if remoderate:
            edited = await load_event(event_id, lock=True)
            found = await screened(edited)
            await move(edited, states.PENDING, states.AUTHOR, actor.user_id,
                       f"edited while published; {found}" if found else "edited while published")
        info = await snapshot(event_id)
        await hooks.notify(hookspecs.event_changed, event=info, changes=changes, actor_id=actor.user_id)
        if remoderate:
            await hooks.notify(hookspecs.event_submitted, event=info, actor_id=actor.user_id)
    log.info("user %s edited event %s: %s", actor.user_id, event_id, sorted(changes))


async def delete_event(actor: Actor, event_id: int, if_match: str | None = None) -> None:
    """Delete a draft, rejected or cancelled event (a tombstone stays for syncing clients)."""
    async with transaction():
        row = await load_event(event_id, lock=True)
        await _author_only(row, actor)
        check_if_match(row, if_match)
        if row["status"] in (states.PUBLISHED, states.PENDING, states.HIDDEN):
            raise Conflict("A %(status)s event cannot be deleted; cancel or withdraw it first",
                           params={"status": row['status']},
                           code="event_not_deletable")
        now = clock.now()
        await Event.update({Event.deleted_at: now, Event.updated_at: now, Event.version: Event.version + 1}).where(
            Event.id == event_id)
        await event_cache.touched([event_id], feed=False)  # a cancelled event's card goes (not in the feed)
    log.info("user %s deleted event %s", actor.user_id, event_id)


# ---------------------------------------------------------------------------------------------------------------------
# Status moves
# ---------------------------------------------------------------------------------------------------------------------


async def submit(actor: Actor, event_id: int) -> EventInfo:
    """The author asks for review (draft/rejected → pending_review)."""
    async with transaction():
        row = await load_event(event_id, lock=True)
        await _author_only(row, actor)
        if row["starts_at"] <= clock.now():
            raise validation.fail("/starts_at", "the event must start in the future", "starts_in_past")
        found = await screened(row)
        await move(row, states.PENDING, states.AUTHOR, actor.user_id, found)
        info = await snapshot(event_id)
        await hooks.notify(hookspecs.event_submitted, event=info, actor_id=actor.user_id)
        if not found and await trust.is_trusted(row["author_id"]):  # a proven organiser: no review needed
            await move(await load_event(event_id, lock=True), states.PUBLISHED, states.SYSTEM, None, trust.TRUSTED)
            info = await snapshot(event_id)
            await audit.record(None, "event.publish_trusted", "event", event_id, actor_label=trust.TRUSTED,
                               before={"status": states.PENDING}, after={"status": states.PUBLISHED})
            await hooks.notify(hookspecs.event_published, event=info, moderator_id=None)
    log.info("user %s submitted event %s (%s)", actor.user_id, event_id, info.status)
    return info


async def screened(row: Row) -> str:
    """What the platform's blocklists found in the title and description (``blocklist: …``), or "".

    A submission records it as the reason of its move to review, so moderators see it in the queue's history; an
    event with a match must never be published without a moderator (none is: every submission is reviewed).
    """
    found = await text_screening.screen(f"{row['title']}\n{row['description']}")
    return text_screening.summary(found) if found else ""


async def approve(event_id: int, moderator_id: int) -> EventInfo:
    """A moderator publishes an event (pending_review → published)."""
    async with transaction():
        row = await load_event(event_id, lock=True)
        await move(row, states.PUBLISHED, states.MODERATOR, moderator_id)
        await reports.target_decided(EVENT_TYPE, event_id, moderator_id, upheld=False, decision="kept",
                                     hidden_only=True)  # published again what reports hid
        await audit.record(moderator_id, "event.approve", "event", event_id, before={"status": row["status"]},
                           after={"status": states.PUBLISHED})
        info = await snapshot(event_id)
        await hooks.notify(hookspecs.event_published, event=info, moderator_id=moderator_id)
    log.info("moderator %s published event %s", moderator_id, event_id)
    return info


async def reject(event_id: int, moderator_id: int, reason: str) -> EventInfo:
    """A moderator rejects an event with a reason for the author (pending_review → rejected)."""
    reason = validation.reason(reason)
    async with transaction():
        row = await load_event(event_id, lock=True)
        await move(row, states.REJECTED, states.MODERATOR, moderator_id, reason)
        await reports.target_decided(EVENT_TYPE, event_id, moderator_id, upheld=True, decision="rejected")
        await audit.record(moderator_id, "event.reject", "event", event_id, reason=reason,
                           before={"status": row["status"]}, after={"status": states.REJECTED})
        info = await snapshot(event_id)
        await hooks.notify(hookspecs.event_rejected, event=info, moderator_id=moderator_id, reason=reason)
    log.info("moderator %s rejected event %s", moderator_id, event_id)
    return info


async def cancel(actor: Actor, event_id: int, reason: str) -> EventInfo:
    """The author or a moderator cancels a published event (published → cancelled)."""
    reason = validation.reason(reason)
    async with transaction():
        row = await load_event(event_id, lock=True)
        role = states.AUTHOR if await acts_as_author(row, actor.user_id) else states.MODERATOR
        if role == states.MODERATOR and not actor.moderator:
            await _author_only(row, actor)  # 404 when they may not see it, else 403
        await move(row, states.CANCELLED, role, actor.user_id, reason)
        if role == states.MODERATOR:
            await reports.target_decided(EVENT_TYPE, event_id, actor.user_id, upheld=True, decision="cancelled")
            await audit.record(actor.user_id, "event.cancel", "event", event_id, reason=reason,
                               before={"status": row["status"]}, after={"status": states.CANCELLED})
        info = await snapshot(event_id)
        await hooks.notify(hookspecs.event_cancelled, event=info, reason=reason, actor_id=actor.user_id)
    log.info("user %s cancelled event %s", actor.user_id, event_id)
    return info


EVENT_TYPE = "events.event"
"""The events' reportable type (``reports.py``): reports go to the platform's one report queue."""
REPORTED = "hidden after reports"
"""The history's reason when reports hid an event (a dismissal of the reports puts it back where it was)."""
RESTORED = "reports dismissed"
"""The history's reason when a dismissal of the reports shows a hidden event again."""


async def hide_reported(event_id: int) -> None:
    """Reports reached the operator's threshold (or staff hid it by hand): the event is hidden until staff decide.

    Published, cancelled or finished → ``hidden``, by the system: 404 to all but its author and moderators, out of
    the feed, search and group pages. Nobody is told, and the publish flow does not run again when it comes back
    (:func:`unhide_reported`). Any other status (a draft, an event in review…) stays as it is.
    """
    async with transaction():
        row = await load_event(event_id, lock=True)
        if row["status"] not in states.HIDEABLE:
            return
        await move(row, states.HIDDEN, states.SYSTEM, None, REPORTED)
        await audit.record(None, "event.hide", "event", event_id, actor_label="reports", reason=REPORTED,
                           before={"status": row["status"]}, after={"status": states.HIDDEN})
        info = await snapshot(event_id)
        # search drops it (no longer published), the feed, group pages and its card go stale
        await hooks.notify(hookspecs.event_changed, event=info, changes={"status": (row["status"], states.HIDDEN)},
                           actor_id=0)
        await event_cache.touched([event_id])
    log.info("event %s hidden after reports", event_id)


async def unhide_reported(event_id: int, moderator_id: int | None) -> None:
    """The reports were dismissed (or staff showed it again): a hidden event goes back to exactly where it was.

    The status before the hiding comes from the history; nobody is notified (the author never heard it was hidden,
    and it is not published anew). An event not hidden is left alone.
    """
    async with transaction():
        row = await load_event(event_id, lock=True)
        if row["status"] != states.HIDDEN:
            return
        last = await StatusMove.select(StatusMove.from_status).where(
            StatusMove.event == event_id, StatusMove.to_status == states.HIDDEN,
        ).order_by(StatusMove.at, StatusMove.id, ascending=False).first()
        before = last["from_status"] if last and last["from_status"] in states.HIDEABLE else states.PUBLISHED
        await move(row, before, states.SYSTEM, moderator_id, RESTORED)
        await audit.record(moderator_id, "event.unhide", "event", event_id, reason=RESTORED,
                           before={"status": states.HIDDEN}, after={"status": before})
        info = await snapshot(event_id)
        await hooks.notify(hookspecs.event_changed, event=info, changes={"status": (states.HIDDEN, before)},
                           actor_id=moderator_id or 0)
        await event_cache.touched([event_id])
    log.info("event %s shown again after reports were dismissed (%s)", event_id, before)


async def finish_ended() -> int:
    """Move every published event whose end has passed to finished (the periodic finisher); idempotent."""
    due = await Event.select(Event.id).where(
        Event.status == states.PUBLISHED, Event.ends_at <= clock.now(), Event.deleted_at.is_null(),
    ).order_by(Event.id).limit(1000)
    done = 0
    for r in due:
        async with transaction():
            row = await load_event(r["id"], lock=True)
            if row["status"] != states.PUBLISHED or row["ends_at"] > clock.now():
                continue  # another worker got there first, or the author moved it
            await move(row, states.FINISHED, states.SYSTEM, None)
            await Participation.update({Participation.status: states.P_EXPIRED,
                                        Participation.updated_at: clock.now()}).where(
                Participation.event == row["id"],
                Participation.status.is_in([states.P_WAITLISTED, states.P_OFFERED, states.P_PENDING]))
            await hooks.notify(hookspecs.event_finished, event=await snapshot(row["id"]))
            done += 1
    if done:
        log.info("finished %s ended events", done)
    return done


async def history(event_id: int) -> list[Row]:
    """Every status move of an event, oldest first."""
    return await StatusMove.select(
        StatusMove.actor.as_alias("actor_id"), StatusMove.at, StatusMove.from_status, StatusMove.to_status,
        StatusMove.reason,
    ).where(StatusMove.event == event_id).order_by(StatusMove.at, StatusMove.id)


async def event_info(event_id: int) -> EventInfo:
    """The snapshot of one event."""
    return info_of(await load_event(event_id))


async def check_history_access(event_id: int, user_id: int, moderator: bool) -> None:
    """The history is the author's and moderators': 404 to whoever may not see the event, 403 to other viewers."""
    row = await load_event(event_id)
    await _author_only(row, Actor(user_id, moderator))


async def author_of(event_id: int) -> tuple[int, datetime]:
    """(author id, starts_at) of an event or NotFound."""
    row = await Event.select(Event.author, Event.starts_at).where(
        Event.id == event_id, Event.deleted_at.is_null()).first()
    if row is None:
        raise NotFound("event %(event_id)s not found", params={"event_id": event_id}, code="event_not_found")
    return row["author"], row["starts_at"]
