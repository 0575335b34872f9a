"""Request and response bodies of the "+1" partner search (msgspec)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

RequestKind = Literal["looking", "offering", "group"]
Audience = Literal["everyone", "participants"]
ReportReason = Literal["spam", "harassment", "inappropriate", "fake", "other"]
LanguageTag = Annotated[str, Meta(min_length=2, max_length=16, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")]
Age = Annotated[int, Meta(ge=14, le=120)]


class PartnerRequestCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Post a "+1" request for an event: ``looking`` for a +1, ``offering`` one, or a ``group`` of N wanting more."""

    event_id: Annotated[int, Meta(ge=1)]
    kind: RequestKind
    note: Annotated[str, Meta(max_length=280)] = ""
    group_size: Annotated[int, Meta(ge=1, le=20)] = 1
    """How many you are (``group`` only: 2 or more)."""
    languages: Annotated[list[LanguageTag], Meta(max_length=10)] = msgspec.field(default_factory=list)
    """The other must speak one of these (empty: any)."""
    age_min: Age | None = None
    age_max: Age | None = None
    verified_only: bool = False
    audience: Audience = "everyone"
    """Who may be shown the request: ``everyone`` matching, or only the event's ``participants``."""


class PartnerRequestRead(msgspec.Struct):
    """One of my "+1" requests (``status``: open, withdrawn, matched or closed — closed once the event started)."""

    id: int
    event_id: int
    kind: str
    group_size: int
    note: str
    languages: list[str]
    age_min: int | None
    age_max: int | None
    verified_only: bool
    audience: str
    status: str
    pseudonym: str
    starts_at: datetime
    created_at: datetime


class PartnerSuggestion(msgspec.Struct):
    """Someone else's request that fits mine: a pseudonym and what they wrote, never who they are."""

    request_id: int
    pseudonym: str
    kind: str
    group_size: int
    note: str
    shared_interests: int
    """How many interests (profile interests and tags of events attended) we share."""
    shared_languages: int
    score: int


class ProposalCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Propose to a suggestion: the other request's id."""

    to_request_id: Annotated[int, Meta(ge=1)]


class PartnerView(msgspec.Struct):
    """The other side of a pair: their request's pseudonym and note; their id and name once they revealed them."""

    pseudonym: str
    kind: str
    group_size: int
    note: str
    revealed: bool
    user_id: int | None
    display_name: str | None


class PairRead(msgspec.Struct):
    """A proposal I made or received, and the pair it became (``status``: see ``partners/states.py``)."""

    id: int
    event_id: int
    status: str
    role: str
    """``proposer`` or ``recipient``."""
    my_request_id: int
    my_pseudonym: str
    partner: PartnerView
    i_revealed: bool
    i_agreed_to_go: bool
    partner_agreed_to_go: bool
    chat_open: bool
    """The anonymous chat (``/api/v1/groups/pairs/{id}/messages``, room ``groups.pair:{id}``) is open."""
    created_at: datetime
    matched_at: datetime | None


class GoTogetherRead(msgspec.Struct):
    """My yes to going together; once both said yes, both joined the event as a pair (``participation``)."""

    pair: PairRead
    participation: str | None
    """``confirmed``, ``waitlisted`` (as a party of two) or ``pending``; None while the other has not said yes."""


class BlockBody(msgspec.Struct, forbid_unknown_fields=True):
    """Block the other side of a pair, and report them with a reason (optional)."""

    reason: ReportReason | None = None
    details: Annotated[str, Meta(max_length=1000)] = ""
