"""Request and response shapes of support (msgspec; field rules as constraints)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Category = Literal["account", "event", "order", "payment", "safety", "bug", "other"]
Priority = Literal["low", "normal", "high", "urgent"]
Status = Literal["new", "open", "waiting_for_user", "resolved", "closed"]

MAX_BODY = 100_000
"""The schema's hard cap; the operator's ``max_message_chars`` (default 10 000) is checked by the service."""
Body = Annotated[str, Meta(min_length=1, max_length=MAX_BODY, description="The message text (up to the "
                                                                          "max_message_chars setting).")]
SubjectType = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$", max_length=40)]
SubjectId = Annotated[str, Meta(pattern=r"^[A-Za-z0-9_.:\-]{1,100}$")]


class AttachmentIn(msgspec.Struct, forbid_unknown_fields=True):
    """A screenshot already uploaded through the media plugin: its id and content type (``image/*`` only)."""

    media_id: Annotated[str, Meta(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:\-]+$")]
    content_type: Annotated[str, Meta(min_length=3, max_length=100)]


class TicketSubjectIn(msgspec.Struct, forbid_unknown_fields=True):
    """The object a ticket is about: ``{"type": "events.event", "id": "42"}``."""

    type: SubjectType
    id: SubjectId


class TicketCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new ticket with its first message."""

    category: Category
    subject: Annotated[str, Meta(min_length=1, max_length=200)]
    body: Body
    about: TicketSubjectIn | None = None
    attachments: list[AttachmentIn] = []


class TicketMessageCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A reply of the user (or of an agent through the API)."""

    body: Body
    attachments: list[AttachmentIn] = []


class RatingCreate(msgspec.Struct, forbid_unknown_fields=True):
    """The user's rating of a resolved ticket's answer."""

    score: Annotated[int, Meta(ge=1, le=5)]
    comment: Annotated[str, Meta(max_length=2000)] = ""


class AttachmentRead(msgspec.Struct):
    """An attachment of a message (``verified``: the media plugin confirmed it)."""

    media_id: str
    content_type: str
    verified: bool


class TicketMessageRead(msgspec.Struct):
    """A public message of a ticket: ``from_agent`` tells the support team's from the user's."""

    id: int
    ticket_id: int
    author_id: int | None
    author_name: str
    from_agent: bool
    body: str
    attachments: list[AttachmentRead]
    created_at: datetime


class SubjectRead(msgspec.Struct):
    """What a ticket is about."""

    type: str
    id: str
    label: str


class TicketRead(msgspec.Struct):
    """A ticket as its requester sees it.

    ``expect_answer_by`` is the first-response due time while nobody answered yet (in the team's working hours);
    ``agents_online`` whether an agent is online now; ``linked_to`` the closed ticket this one continues.
    """

    id: int
    category: str
    subject: str
    status: Status
    priority: str
    about: SubjectRead | None
    created_at: datetime
    updated_at: datetime
    last_message_at: datetime
    expect_answer_by: datetime | None
    agents_online: bool
    linked_to: int | None
    rating: int | None
    rating_comment: str


class TicketReplyRead(msgspec.Struct):
    """The answer to a reply: the message, and the ticket it went to (a new one when the old ticket was closed)."""

    message: TicketMessageRead
    ticket: TicketRead


class TicketEvent(msgspec.Struct):
    """A frame's ``data`` in the room ``support.ticket:<id>``.

    ``event``: ``message.created`` (``message`` set), ``ticket.updated`` (``status`` set), ``typing`` (``user_id``
    and ``from_agent`` set; ephemeral, never stored).
    """

    event: Literal["message.created", "ticket.updated", "typing"]
    ticket_id: int
    message: TicketMessageRead | None = None
    status: str | None = None
    user_id: int | None = None
    from_agent: bool | None = None


class StatusRead(msgspec.Struct):
    """Whether agents are online, and by when a new ticket of each category would be answered at the latest."""

    agents_online: bool
    expect_answer_by: dict[str, datetime]


class AnswerCreate(msgspec.Struct, forbid_unknown_fields=True):
    """An agent's answer, or an internal note (``internal``: only agents ever see it)."""

    body: Body
    attachments: list[AttachmentIn] = []
    internal: bool = False


class DeskMessageRead(TicketMessageRead):
    """A message as agents see it: ``kind`` is ``user``, ``agent``, ``note`` (internal) or ``system`` (internal)."""

    kind: str = "user"


class MetricsTotals(msgspec.Struct):
    """Tickets opened in the range: counts, first-response and resolution times (working hours), CSAT (1-5)."""

    opened: int
    resolved: int
    unresolved: int
    first_response_median_h: float | None
    first_response_p90_h: float | None
    resolution_median_h: float | None
    resolution_p90_h: float | None
    csat_avg: float | None
    rated: int


class CategoryMetrics(msgspec.Struct):
    """One category: tickets opened, and the share (%) of counted ones that met each SLA target."""

    category: str
    opened: int
    first_response_met_pct: float | None
    resolution_met_pct: float | None


class AgentMetrics(msgspec.Struct):
    """One assigned agent's tickets in the range."""

    agent_id: int
    agent: str
    tickets: int
    resolved: int
    first_response_median_h: float | None
    resolution_median_h: float | None
    csat_avg: float | None


class DayMetrics(msgspec.Struct):
    """Tickets opened and resolved on one day (the team's time zone)."""

    day: date
    opened: int
    resolved: int


class MetricsRead(msgspec.Struct):
    """Support's figures for the inclusive days ``since`` to ``until``."""

    since: date
    until: date
    totals: MetricsTotals
    by_category: list[CategoryMetrics]
    by_agent: list[AgentMetrics]
    daily: list[DayMetrics]
