"""HTTP routes of support (thin: parse, call, shape): the requester's tickets, the agents' desk, the metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Any, Literal

import msgspec
from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Stream
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from core.auth.guards import SignedIn, requires
from core.http.params import Limit
from core.pagination import Page
from plugins.support import agents, desk, metrics, tickets
from plugins.support.schemas import (
    AnswerCreate,
    DeskMessageRead,
    MetricsRead,
    RatingCreate,
    StatusRead,
    TicketCreate,
    TicketMessageCreate,
    TicketMessageRead,
    TicketRead,
    TicketReplyRead,
)

StatusFilter = Literal["new", "open", "waiting_for_user", "resolved", "closed"]
OPENED = ("201 with the ticket: ``expect_answer_by`` (the first-response due time in the team's working hours) and "
          "``agents_online``. 404 ``subject_not_found`` (``about`` is not yours to point at); 422 "
          "``unknown_subject_type``, ``attachment_not_image``, ``attachment_not_found``, ``too_many_attachments``, "
          "``validation_failed`` (a message over ``max_message_chars``: pointer ``/body``); 413 for a body over the "
          "server's limit; 429 ``rate_limited`` past ``tickets_per_day``.")
REPLIED = ("201 with the message and the ticket it went to: a reply to a **closed** ticket opens a new ticket linked "
           "to it (``ticket.linked_to``); a reply to a resolved one reopens it. 404 ``ticket_not_found``; 422 as "
           "for opening; 429 ``rate_limited`` past ``messages_per_minute``.")


class TicketController(Controller):
    """The requester's tickets: ``/support/tickets``; real time in the room ``support.ticket:<id>``."""

    path = "/support"

    @get("/status", operation_id="get_support_status", summary="Is anyone there? Expected answer times")
    async def get_support_status(self, principal: SignedIn) -> StatusRead:
        """Whether an agent is online, and the latest a new ticket of each category would get its first answer."""
        return await tickets.status()

    @post("/tickets", operation_id="create_ticket", status_code=HTTP_201_CREATED, summary="Write to support",
          description=OPENED)
    async def create_ticket(self, principal: SignedIn, data: JSONBody[TicketCreate]) -> TicketRead:
        """Open a ticket with its first message (``about``: the event, order… it concerns)."""
        return await tickets.open_ticket(principal.user_id, data)

    @get("/tickets", operation_id="list_my_tickets", summary="My tickets, latest activity first")
    async def list_my_tickets(self, principal: SignedIn, status: FromQuery[StatusFilter | None] = None,
                              cursor: FromQuery[str | None] = None, limit: Limit = 20) -> Page[TicketRead]:
        """Only the caller's tickets."""
        return await tickets.list_mine(principal.user_id, status, cursor, limit)

    @get("/tickets/{ticket_id:int}", operation_id="get_ticket", summary="One of my tickets")
    async def get_ticket(self, principal: SignedIn, ticket_id: FromPath[int]) -> TicketRead:
        """404 ``ticket_not_found`` for anyone else's."""
        return await tickets.get_mine(ticket_id, principal.user_id)

    @get("/tickets/{ticket_id:int}/messages", operation_id="list_ticket_messages",
         summary="The conversation of one of my tickets, newest first")
    async def list_ticket_messages(self, principal: SignedIn, ticket_id: FromPath[int],
                                   cursor: FromQuery[str | None] = None, limit: Limit = 50) -> Page[TicketMessageRead]:
        """Public messages only: agents' internal notes never appear here."""
        return await tickets.messages(ticket_id, principal.user_id, cursor, limit)

    @post("/tickets/{ticket_id:int}/messages", operation_id="reply_to_ticket", status_code=HTTP_201_CREATED,
          summary="Reply in one of my tickets", description=REPLIED)
    async def reply_to_ticket(self, principal: SignedIn, ticket_id: FromPath[int],
                              data: JSONBody[TicketMessageCreate]) -> TicketReplyRead:
        """Published to ``support.ticket:<id>``."""
        return await tickets.reply(ticket_id, principal.user_id, data)

    @post("/tickets/{ticket_id:int}/resolve", operation_id="resolve_ticket", status_code=200,
          summary="I no longer need help")
    async def resolve_ticket(self, principal: SignedIn, ticket_id: FromPath[int]) -> TicketRead:
        """409 ``illegal_status_move`` when already resolved or closed."""
        return await tickets.resolve_mine(ticket_id, principal.user_id)

    @post("/tickets/{ticket_id:int}/rating", operation_id="rate_ticket", status_code=200,
          summary="Rate the answer (1-5) once resolved")
    async def rate_ticket(self, principal: SignedIn, ticket_id: FromPath[int],
                          data: JSONBody[RatingCreate]) -> TicketRead:
        """Once (409 ``already_rated``), when resolved or closed (409 ``not_resolved``)."""
        return await tickets.rate(ticket_id, principal.user_id, data)

    @post("/tickets/{ticket_id:int}/typing", operation_id="send_ticket_typing", status_code=HTTP_204_NO_CONTENT,
          summary="Tell the other side I am typing")
    async def send_ticket_typing(self, principal: SignedIn, ticket_id: FromPath[int]) -> None:
        """An ephemeral ``typing`` frame in ``support.ticket:<id>``; 429 ``rate_limited`` past ``typing_per_minute``."""
        await tickets.typing(ticket_id, principal.user_id, as_agent=False)


class DeskController(Controller):
    """The agents' side over the API (``support.answer``): answers, notes, typing, presence."""

    path = "/support/desk"
    guards = [requires(agents.ANSWER)]

    @post("/heartbeat", operation_id="support_agent_heartbeat", status_code=HTTP_204_NO_CONTENT,
          summary="I am online (send every 30 s)")
    async def support_agent_heartbeat(self, principal: SignedIn) -> None:
        """Online agents get new tickets in turn and make users see "an agent is online"."""
        await agents.heartbeat(principal.user_id)

    @get("/tickets/{ticket_id:int}/messages", operation_id="list_desk_messages",
         summary="Every message of a ticket (notes included), newest first")
    async def list_desk_messages(self, ticket_id: FromPath[int], cursor: FromQuery[str | None] = None,
                                 limit: Limit = 50) -> Page[DeskMessageRead]:
        """Notes and system lines included (``kind``)."""
        return await desk.conversation(ticket_id, cursor, limit)

    @post("/tickets/{ticket_id:int}/messages", operation_id="answer_ticket", status_code=HTTP_201_CREATED,
          summary="Answer a ticket, or add an internal note")
    async def answer_ticket(self, principal: SignedIn, ticket_id: FromPath[int],
                            data: JSONBody[AnswerCreate]) -> TicketMessageRead:
        """409 ``ticket_closed``; an answer goes to ``support.ticket:<id>``, a note to ``support.notes:<id>``."""
        return await desk.answer(ticket_id, principal.user_id, data.body, data.attachments, internal=data.internal)

    @post("/tickets/{ticket_id:int}/typing", operation_id="send_desk_typing", status_code=HTTP_204_NO_CONTENT,
          summary="Tell the user an agent is typing")
    async def send_desk_typing(self, principal: SignedIn, ticket_id: FromPath[int]) -> None:
        """An ephemeral ``typing`` frame with ``from_agent: true``."""
        await tickets.typing(ticket_id, principal.user_id, as_agent=True)


class MetricsController(Controller):
    """Support's figures for a date range (``support.manage``), JSON or CSV."""

    path = "/support/metrics"
    guards = [requires(agents.MANAGE)]

    @get("/", operation_id="get_support_metrics", summary="Support figures for a date range")
    async def get_support_metrics(self, since: FromQuery[str | None] = None,
                                  until: FromQuery[str | None] = None) -> MetricsRead:
        """Days are inclusive, in the team's time zone (default the last 30); times are working hours."""
        return msgspec.convert(asdict(await metrics.figures(*metrics.date_range(since, until))), MetricsRead)

    @get("/csv", operation_id="get_support_metrics_csv", summary="Support figures as CSV",
         media_type="text/csv; charset=utf-8")
    async def get_support_metrics_csv(self, since: FromQuery[str | None] = None,
                                      until: FromQuery[str | None] = None) -> Response[Any]:
        """The same figures, one CSV section per table."""
        figures = await metrics.figures(*metrics.date_range(since, until))

        async def body() -> AsyncIterator[str]:
            for line in metrics.csv_lines(figures):
                yield line

        return Stream(body(), media_type="text/csv; charset=utf-8",
                      headers={"Content-Disposition": f'attachment; filename="support-{figures.since}.csv"'})
