"""What an upload belongs to: the owners' answers (``media_target_from_plugin``) and events' own targets.

Media answers for events (it depends on events): ``events.gallery`` (the event's gallery; who may upload is the
organiser's choice, :class:`~plugins.media.tables.GallerySetting`) and ``events.cover`` (the organiser's cover).
Who may *see* an event's gallery follows the event: public events anyone, others the organiser, the people taking
part and, for a group's events, its members (events' ``group_access_from_groups``).
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from core import hooks
from core.errors import Conflict, NotFound, PermissionDenied
from plugins.events import api as events
from plugins.events import hookspecs as events_specs
from plugins.media import hookspecs
from plugins.media.hookspecs import MediaTarget
from plugins.media.tables import GallerySetting

UPLOADERS = ("organiser", "confirmed", "joined")
DEFAULT_UPLOADERS = "confirmed"
OPEN_STATUSES = ("published", "finished")
JOINED = ("pending", "confirmed", "waitlisted", "offered")


async def resolve(target: str, target_id: int, user_id: int) -> MediaTarget:
    """The owner's answer for an upload to ``target`` ``target_id`` by ``user_id`` (its refusals propagate)."""
    answer = await hooks.first(hookspecs.media_target_from_plugin, target=target, target_id=target_id,
                               user_id=user_id)
    if answer is None:
        raise NotFound("Nothing called %(target)s %(target_id)s takes media.",
                       params={"target": target, "target_id": target_id}, code="target_not_found")
    if isinstance(answer, MediaTarget):
        return answer
    if isinstance(answer, Mapping):  # from a plugin that does not depend on media
        converted: MediaTarget = msgspec.convert(dict(answer), MediaTarget)
        return converted
    raise TypeError(f"media_target_from_plugin answered {answer!r} for {target}")


async def uploaders(event_id: int) -> str:
    """Who may upload to the event's gallery: ``organiser``, ``confirmed`` (default) or ``joined``."""
    row = await GallerySetting.select(GallerySetting.uploaders).where(GallerySetting.event_id == event_id).first()
    return str(row["uploaders"]) if row else DEFAULT_UPLOADERS


async def is_manager(event: events.EventInfo, user_id: int) -> bool:
    """The organiser, or a manager of the hosting group."""
    if event.author_id == user_id:
        return True
    if event.group_id is None:
        return False
    access = await hooks.first(events_specs.group_access_from_groups, group_id=event.group_id, user_id=user_id)
    return bool(access and access.manager)


async def may_view(event: events.EventInfo, user_id: int | None) -> bool:
    """Whether ``user_id`` (None: anonymous) may see the event's gallery."""
    if user_id is not None and await is_manager(event, user_id):
        return True
    if event.status not in OPEN_STATUSES:
        return False
    if event.visibility == "public":
        return True
    if user_id is None:
        return False
    if await events.participation_status(event.id, user_id) in (*JOINED, "confirmed"):
        return True
    if event.group_id is not None and event.visibility == "group":
        access = await hooks.first(events_specs.group_access_from_groups, group_id=event.group_id, user_id=user_id)
        return bool(access and access.member)
    return False


async def visible_event(event_id: int, user_id: int | None) -> events.EventInfo:
    """The event when its gallery is visible to the user; NotFound ``event_not_found`` otherwise."""
    event = await events.get_event_info(event_id)
    if not await may_view(event, user_id):
        raise NotFound("event %(event_id)s not found", params={"event_id": event_id}, code="event_not_found")
    return event


async def gallery_target(event_id: int, user_id: int) -> MediaTarget:
    """May the user add to the event's gallery (the organiser's choice of who may)?"""
    event = await visible_event(event_id, user_id)
    if event.status not in OPEN_STATUSES:
        raise Conflict("The gallery opens when the event is published.", code="gallery_closed")
    if not await is_manager(event, user_id):
        rule = await uploaders(event_id)
        status = await events.participation_status(event_id, user_id)
        allowed = (rule == "confirmed" and status == "confirmed") or (rule == "joined" and status in JOINED)
        if not allowed:
            raise PermissionDenied("Only the organiser may add to this gallery." if rule == "organiser" else
                                   "Only %(uploaders)s participants may add to this gallery.",
                                   code="gallery_upload_not_allowed", uploaders=rule)
    return MediaTarget(event_id=event_id, private=event.visibility == "group", gallery=True)


async def cover_target(event_id: int, user_id: int) -> MediaTarget:
    """Only the organiser (or a manager of the hosting group) uploads an event's cover."""
    event = await events.get_event_info(event_id)
    if not await is_manager(event, user_id):
        raise NotFound("event %(event_id)s not found",
                       params={"event_id": event_id}, code="event_not_found") if not await may_view(
            event, user_id) else PermissionDenied("Only the organiser sets the cover.", code="not_organiser")
    return MediaTarget(event_id=event_id, private=event.visibility == "group", gallery=False)


async def events_target(target: str, target_id: int, user_id: int) -> MediaTarget | None:
    """Media's own answer to ``media_target_from_plugin`` for events' targets."""
    if target == "events.gallery":
        return await gallery_target(target_id, user_id)
    if target == "events.cover":
        return await cover_target(target_id, user_id)
    return None
