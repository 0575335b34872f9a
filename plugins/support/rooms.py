"""The real-time rooms of tickets: ``support.ticket:<id>`` (the requester and agents) and ``support.notes:<id>``."""

from __future__ import annotations

from core.errors import NotFound
from core.realtime import RoomKind
from plugins.support import agents
from plugins.support.store import NOTES_ROOM, TICKET_ROOM
from plugins.support.tables import Ticket


async def may_join_ticket(user_id: int, room_id: str) -> bool:
    """The ticket's requester, or any agent."""
    if not room_id.isdigit() or len(room_id) > 12:
        return False
    row = await Ticket.select(Ticket.requester).where(Ticket.id == int(room_id)).first()
    if row is None:
        return False
    return row["requester"] == user_id or await agents.is_agent(user_id)


async def may_join_notes(user_id: int, room_id: str) -> bool:
    """Agents only: internal notes and system lines."""
    return room_id.isdigit() and len(room_id) <= 12 and await agents.is_agent(user_id)


KINDS = [RoomKind(TICKET_ROOM, may_join_ticket), RoomKind(NOTES_ROOM, may_join_notes)]


async def may_attach(user_id: int, ticket_id: int) -> None:
    """A screenshot may go to one's own ticket, a ticket an agent works, or (``0``) the ticket one is opening.

    NotFound ``ticket_not_found`` otherwise (media's upload request fails with it).
    """
    if ticket_id == 0 or await may_join_ticket(user_id, str(ticket_id)):
        return
    raise NotFound("No such ticket", code="ticket_not_found")


async def may_see_screenshot(user_id: int, ticket_id: int) -> bool:
    """A screenshot of ticket ``ticket_id``: its requester and the agents; of a ticket being opened (0): the agents."""
    if ticket_id == 0:
        return await agents.is_agent(user_id)
    return await may_join_ticket(user_id, str(ticket_id))
