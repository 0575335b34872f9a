"""Hook implementations of the groups plugin: each a few lines, delegating."""

from __future__ import annotations

from typing import Any

from core.hooks import hookimpl
from core.notifications import NotificationKind
from core.permissions import Permission
from plugins.events.hookspecs import EventInfo, GroupAccess


@hookimpl
def register_piccolo_app() -> Any:
    """The tables and migrations of groups."""
    from plugins.groups.piccolo_app import APP_CONFIG

    return APP_CONFIG


# Groups, members, invitations, followers, group events (services.py, members.py, invites.py, accounts.py).


@hookimpl
def register_routes() -> list[Any]:
    """The JSON API under /api/v1/groups."""
    from plugins.groups.routes import GroupController

    return [GroupController]


@hookimpl
def register_permissions() -> list[Permission]:
    """groups.moderate: platform moderators see and delete any group."""
    return [Permission("groups.moderate", "See and delete any group", admin_panel=True)]


@hookimpl
def register_notification_kinds() -> list[NotificationKind]:
    """New group events, invitations, requests to join and their answers."""
    from plugins.groups.notifications import KINDS

    return KINDS


@hookimpl
def register_template_dirs() -> list[str]:
    """The notification templates under ``templates/groups/notifications/<lang>/``."""
    import os

    return [os.path.join(os.path.dirname(__file__), "templates")]


@hookimpl
async def group_access_from_groups(group_id: int, user_id: int | None) -> GroupAccess | None:
    """Members see and join a group's members-only events; its owner, admins and moderators manage its events."""
    from plugins.groups.accounts import group_access

    return await group_access(group_id, user_id)


@hookimpl
async def event_published(event: EventInfo) -> None:
    """Tell the hosting group's members (and followers, for public events) of a new event."""
    from plugins.groups.notifications import new_event

    await new_event(event)


@hookimpl
async def users_share_context(viewer_id: int, owner_id: int) -> bool | None:
    """Active members of one group share a context (privacy "shared"); otherwise abstain."""
    from plugins.groups.accounts import share_group

    return True if await share_group(viewer_id, owner_id) else None


@hookimpl
async def user_data_export(user_id: int) -> dict[str, Any]:
    """The user's memberships, follows and invitation links."""
    from plugins.groups.accounts import export_user

    return {"groups": await export_user(user_id)}


@hookimpl
async def user_erasure(user_id: int) -> None:
    """Leave every group; an owned group passes to its longest-serving admin/moderator/member, or is deleted."""
    from plugins.groups.accounts import erase_user

    await erase_user(user_id)


# Chat (plugins/groups/chat/): named hooks so the chat's implementations sit beside groups' own.


@hookimpl(specname="register_routes")
def register_chat_routes() -> list[Any]:
    """Group rooms and "+1" pair chats: ``/api/v1/groups/{id}/chat/messages``, ``/api/v1/groups/pairs/…``."""
    from plugins.groups.chat.routes import ChatController

    return [ChatController]


@hookimpl(specname="register_realtime_rooms")
def register_chat_rooms() -> list[Any]:
    """``groups.chat:<group_id>`` and ``groups.pair:<proposal_id>``: joined by those who may read the conversation."""
    from plugins.groups.chat.kinds import room_kinds

    return room_kinds()


@hookimpl(specname="user_data_export")
async def chat_user_data_export(user_id: int) -> dict[str, Any]:
    """The user's chat messages and reports."""
    from plugins.groups.chat.accounts import export_user

    return {"groups_chat": await export_user(user_id)}


@hookimpl(specname="user_erasure")
async def chat_user_erasure(user_id: int) -> None:
    """The user's messages stay, anonymised; held ones go."""
    from plugins.groups.chat.accounts import erase_user

    await erase_user(user_id)


# "+1" partner search (plugins/groups/partners/): named hooks beside groups' own.


@hookimpl(specname="register_routes")
def register_partner_routes() -> list[Any]:
    """``/api/v1/groups/partners/requests…`` (requests, suggestions, proposing) and ``/api/v1/groups/pairs…``."""
    from plugins.groups.partners.routes import PairController, PartnerRequestController

    return [PartnerRequestController, PairController]


@hookimpl(specname="register_notification_kinds")
def register_partner_notification_kinds() -> list[Any]:
    """``groups.partner_proposal`` (someone proposes to go together) and ``groups.partner_matched`` (both said yes)."""
    from plugins.groups.partners.proposals import KINDS

    return KINDS


@hookimpl(specname="register_actors")
def register_partner_actors() -> list[Any]:
    """Closing the requests of started events."""
    from plugins.groups.partners import jobs

    return [jobs.close_partner_requests]


@hookimpl(specname="register_periodic_jobs")
def register_partner_periodic_jobs() -> list[Any]:
    """Requests close within a minute of their event's start (reads treat them as closed at once)."""
    from datetime import timedelta

    from core.jobs import Periodic
    from plugins.groups.partners import jobs

    return [Periodic(jobs.close_partner_requests, every=timedelta(minutes=1))]


@hookimpl(specname="event_changed")
async def partner_requests_follow_event(event: EventInfo, changes: dict[str, tuple[Any, Any]], actor_id: int) -> None:
    """Open requests close at the event's (new) start."""
    from plugins.groups.partners.services import event_moved

    if "starts_at" in changes:
        await event_moved(event.id, event.starts_at)


@hookimpl(specname="event_cancelled")
async def partner_requests_of_cancelled_event(event: EventInfo, reason: str, actor_id: int) -> None:
    """A cancelled event's open requests close."""
    from plugins.groups.partners.services import close_event

    await close_event(event.id)


@hookimpl(specname="user_data_export")
async def partner_user_data_export(user_id: int) -> dict[str, Any]:
    """The user's "+1" requests."""
    from plugins.groups.partners.services import export_user

    return {"groups_partners": await export_user(user_id)}


@hookimpl(specname="user_erasure")
async def partner_user_erasure(user_id: int) -> None:
    """The user's open requests withdrawn and pairs ended; blocks stay (they protect the others)."""
    from plugins.groups.partners.services import erase_user

    await erase_user(user_id)


# Chat reports go to the platform's one report queue (core.reports; plugins/groups/reports.py); so does what
# support shows of them beside a ticket.


# Media (optional: groups does not depend on media; pluggy leaves these unchecked while media is disabled)


@hookimpl(optionalhook=True)
async def media_target_from_plugin(target: str, target_id: int, user_id: int) -> dict[str, Any] | None:
    """A group's cover (``groups.cover``): its owner and admins upload it; a private group's is private."""
    from plugins.groups.services import COVER_TARGET, cover_target

    return await cover_target(target_id, user_id) if target == COVER_TARGET else None


@hookimpl(optionalhook=True)
async def media_visible_from_plugin(media: Any, user_id: int | None) -> bool | None:
    """A private group's cover is seen by its members."""
    from plugins.groups.api import can_see
    from plugins.groups.services import COVER_TARGET

    if getattr(media, "target", None) != COVER_TARGET:
        return None
    return await can_see(int(media.target_id or 0), user_id)


@hookimpl(optionalhook=True)
async def media_removed(media: Any, reason: str) -> None:
    """A rejected or deleted cover leaves the groups that showed it."""
    from plugins.groups.services import drop_cover

    await drop_cover(str(media.ref))


@hookimpl
def register_reportable_types() -> list[Any]:
    """Groups and chat messages people may report (plugins/groups/reports.py)."""
    from plugins.groups.reports import reportable_types

    return reportable_types()
