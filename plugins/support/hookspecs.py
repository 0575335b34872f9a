"""Hooks the support plugin offers: what happened to tickets, and what other plugins tell support.

Notifications (``ticket_opened``, ``ticket_replied``, ``ticket_resolved``) are called **inside the database
transaction of the change**: an implementation that writes with Piccolo joins it (notify's outbox relies on it); do
no slow I/O in them. ``ticket`` is a :class:`TicketInfo` snapshot taken after the change.

The other three are answered by plugins that **do not depend on support** (events, orders, media, the admin panel):
they implement them with ``@hookimpl(optionalhook=True)`` so they load whether support is enabled or not, and
return plain values (``str``, ``bool``, ``dict``) so they never import anything of support's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.hooks import hookspec
from core.hooks.policy import decision, notification


@dataclass(frozen=True)
class TicketInfo:
    """A snapshot of a ticket for other plugins (the table is private to support)."""

    id: int
    requester_id: int
    category: str
    subject: str
    priority: str
    status: str
    assignee_id: int | None
    subject_type: str | None
    subject_ref: str | None
    created_at: datetime
    linked_to: int | None = None


@notification
@hookspec
def ticket_opened(ticket: TicketInfo) -> None:
    """Called when a user opens a ticket (also one opened by replying to a closed ticket: ``linked_to`` is set).

    Support's own implementation tells the agents of a new ``urgent`` ticket (notification ``support.urgent``).
    """


@notification
@hookspec
def ticket_replied(ticket: TicketInfo, message_id: int, author_id: int, by_agent: bool, body: str) -> None:
    """Called when the user or an agent adds a public message (never for internal notes); ``body`` is its text.

    Support's own implementation tells the user of an agent's reply (notification ``support.replied``, by push or
    email when they are not watching the conversation).
    """


@notification
@hookspec
def ticket_resolved(ticket: TicketInfo, actor_id: int) -> None:
    """Called when a ticket becomes ``resolved`` (by an agent, or by the user who no longer needs help).

    Support's own implementation asks the user to rate the answer (notification ``support.resolved``).
    """


@decision
@hookspec(firstresult=True)
def ticket_subject_from_plugin(subject_type: str, subject_id: str, user_id: int) -> str | bool | None:
    """Whether user ``user_id`` may point a ticket at object ``subject_id`` of type ``subject_type``.

    ``subject_type`` is ``<plugin>.<kind>`` (``events.event``, ``orders.order``). The plugin owning that type
    answers: the object's label (a ``str``, shown to agents) when the user owns or may see it; ``False`` when it
    does not exist for them (support answers 404 ``subject_not_found``, never saying whether it exists); ``None``
    for types that are not its own. When nobody answers, the type is unknown: 422 ``unknown_subject_type``.
    Errors propagate (the ticket is not opened). Example (events, which does not depend on support)::

        @hookimpl(optionalhook=True)
        async def ticket_subject_from_plugin(subject_type, subject_id, user_id):
            if subject_type != "events.event":
                return None
            ...  # the event as the user may see it, else False
    """


@hookspec
def user_context_for_support(user_id: int, permissions: frozenset[str]) -> dict[str, Any] | None:
    """A section of what an agent sees beside a ticket of user ``user_id``: ``{"title": str, "rows": [...]}``.

    Each row is ``{"label": str, "value": str}`` with an optional ``"url"`` (a page of the admin panel).
    ``permissions`` are the agent's: show only what they allow (the audit log only with ``admin.audit``); return
    None to add nothing. Collected from every plugin in load order; errors propagate.
    """


@decision
@hookspec(firstresult=True)
def ticket_attachment_from_media(media_id: str, user_id: int, ticket_id: int) -> dict[str, Any] | bool | None:
    """Check an attachment: ``media_id`` uploaded by ``user_id`` for ticket ``ticket_id`` (0 while opening it).

    Return ``{"content_type": "image/png", ...}`` when it is the user's upload for that ticket, ``False`` when it is
    not (or does not exist): 422 ``attachment_not_found``; ``None`` when no media plugin answers (core's
    ``media_ref_checked`` is asked then; with no answer there either the reference is stored unverified, its
    declared content type checked). A content type that is not ``image/*`` is 422 ``attachment_not_image``.
    """
