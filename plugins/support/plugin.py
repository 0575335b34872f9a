"""Hook implementations of the support plugin: each a few lines, delegating."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from core.hooks import hookimpl
from core.notifications import NotificationKind
from core.permissions import Permission
from core.realtime import RoomKind
from plugins.support.hookspecs import TicketInfo


@hookimpl
def register_piccolo_app() -> Any:
    """The tables and migrations of support."""
    from plugins.support.piccolo_app import APP_CONFIG

    return APP_CONFIG


@hookimpl
def register_permissions() -> list[Permission]:
    """``support.answer`` (agents) and ``support.manage`` (canned replies, metrics)."""
    return [
        Permission("support.answer", "Answer support tickets: inbox, replies, notes, assignment", admin_panel=True),
        Permission("support.manage", "Manage canned replies and see support metrics", admin_panel=True),
    ]


@hookimpl
def register_routes() -> list[Any]:
    """The JSON API under ``/api/v1/support``."""
    from plugins.support.routes import DeskController, MetricsController, TicketController

    return [TicketController, DeskController, MetricsController]


@hookimpl
def register_realtime_rooms() -> list[RoomKind]:
    """``support.ticket:<id>`` (requester and agents) and ``support.notes:<id>`` (agents)."""
    from plugins.support.rooms import KINDS

    return KINDS


@hookimpl
def register_admin_pages() -> list[Any]:
    """The inbox, the conversation, canned replies, metrics and the dashboard widget."""
    from plugins.support.admin import contributions

    return contributions()


@hookimpl
def register_page_routes() -> list[Any]:
    """The conversation page's script, ``/support/static/live.js`` (the panel's CSP allows only same-origin scripts)."""
    from litestar.static_files import create_static_files_router

    static = os.path.join(os.path.dirname(__file__), "static", "support")
    return [create_static_files_router(path="/support/static", directories=[static], include_in_schema=False,
                                       name="support_static")]


@hookimpl
def register_template_dirs() -> list[str]:
    """Notification templates and the panel's conversation and metrics pages, under ``templates/support/``."""
    return [os.path.join(os.path.dirname(__file__), "templates")]


@hookimpl
def register_notification_kinds() -> list[NotificationKind]:
    """Answers and resolutions for users; urgent tickets, deadlines and assignments for agents."""
    from plugins.support.notifications import KINDS

    return KINDS


@hookimpl
def register_actors() -> list[Any]:
    """SLA warnings and auto-close."""
    from plugins.support import jobs

    return [jobs.warn_due_job, jobs.close_resolved_job]


@hookimpl
def register_periodic_jobs() -> list[Any]:
    """Warnings every minute; closing every hour."""
    from core.jobs import Periodic
    from plugins.support import jobs

    return [Periodic(jobs.warn_due_job, every=timedelta(minutes=1)),
            Periodic(jobs.close_resolved_job, every=timedelta(hours=1))]


# support's own hooks: the notices they promise (inside the change's transaction)


@hookimpl
async def ticket_opened(ticket: TicketInfo) -> None:
    """Agents hear of a new urgent ticket at once."""
    if ticket.priority == "urgent":
        from plugins.support import agents, notifications

        await notifications.urgent(ticket, await agents.known())


@hookimpl
async def ticket_replied(ticket: TicketInfo, by_agent: bool, body: str) -> None:
    """The requester hears of an agent's answer (push or email, through notify)."""
    if by_agent:
        from plugins.support import notifications

        await notifications.replied(ticket, body)


@hookimpl
async def ticket_resolved(ticket: TicketInfo) -> None:
    """The requester is asked to rate the answer."""
    from plugins.support import notifications

    await notifications.resolved(ticket)


@hookimpl
async def user_data_export(user_id: int) -> dict[str, Any]:
    """The user's tickets and their public messages."""
    from plugins.support.privacy import export

    return {"support": await export(user_id)}


@hookimpl
async def user_erasure(user_id: int) -> None:
    """The user's messages are blanked; their tickets stay (anonymised) for the figures."""
    from plugins.support.privacy import erase

    await erase(user_id)


# Media (optional: support does not depend on media; pluggy leaves these unchecked while media is disabled)


@hookimpl(optionalhook=True)
async def media_target_from_plugin(target: str, target_id: int, user_id: int) -> dict[str, Any] | None:
    """Screenshots for ``support.ticket`` (``target_id`` 0: the ticket about to be opened): private to the ticket."""
    if target != "support.ticket":
        return None
    from plugins.support.rooms import may_attach

    await may_attach(user_id, target_id)
    return {"event_id": None, "private": True, "gallery": False}


@hookimpl(optionalhook=True)
async def media_visible_from_plugin(media: Any, user_id: int | None) -> bool | None:
    """A ticket's screenshots are seen by its requester and the agents only (media shows the uploader their own).

    One uploaded while opening a ticket (``target_id`` 0) has no ticket yet: the agents see it.
    """
    if getattr(media, "target", None) != "support.ticket":
        return None
    from plugins.support.rooms import may_see_screenshot

    return user_id is not None and await may_see_screenshot(user_id, int(media.target_id or 0))
