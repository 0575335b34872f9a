"""Request and response shapes of the reviews API (msgspec Structs); field rules are their ``Meta`` constraints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from core.pagination import Page

TAGS = ("well_organised", "friendly", "as_described", "too_crowded", "good_value", "great_venue", "hard_to_find",
        "started_late")
"""The small fixed list of tags a review may carry."""

Rating = Annotated[int, Meta(ge=1, le=5, description="whole stars, 1 to 5")]
Text = Annotated[str, Meta(max_length=4000, description="required (not blank) for 3 stars or fewer")]
Tag = Literal["well_organised", "friendly", "as_described", "too_crowded", "good_value", "great_venue",
              "hard_to_find", "started_late"]
Tags = Annotated[list[Tag], Meta(max_length=len(TAGS), description="from the fixed list, each once")]
MediaRef = Annotated[str, Meta(min_length=1, max_length=300)]
Media = Annotated[list[MediaRef], Meta(max_length=10, description="media plugin references (when it is enabled)")]
ReplyText = Annotated[str, Meta(min_length=1, max_length=2000, pattern=r"\S")]
Reason = Annotated[str, Meta(max_length=2000)]
RequiredReason = Annotated[str, Meta(min_length=1, max_length=2000, pattern=r"\S")]
Sort = Literal["newest", "helpful"]


class ReviewCreate(msgspec.Struct, forbid_unknown_fields=True):
    """My review of an event I attended."""

    rating: Rating
    text: Text = ""
    tags: Tags = []
    would_go_again: bool | None = None
    media: Media = []


class ReviewUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Changes to my review (within the edit window); absent fields stay as they are."""

    rating: Rating | UnsetType = UNSET
    text: Text | UnsetType = UNSET
    tags: Tags | UnsetType = UNSET
    would_go_again: bool | UnsetType | None = UNSET
    media: Media | UnsetType = UNSET


class ReplyBody(msgspec.Struct, forbid_unknown_fields=True):
    """The organiser's public reply to a review."""

    text: ReplyText


class ReportBody(msgspec.Struct, forbid_unknown_fields=True):
    """Why a review should be looked at by a moderator."""

    reason: Reason = ""


class ModerationBody(msgspec.Struct, forbid_unknown_fields=True):
    """A moderator's decision with the reason its author reads."""

    reason: RequiredReason


class ReviewReplyRead(msgspec.Struct):
    """The organiser's reply."""

    text: str
    replied_at: datetime
    edited_at: datetime | None


class ReviewRead(msgspec.Struct):
    """A review as others see it; ``status`` and ``hidden_reason`` matter to its author (``/reviews/mine``)."""

    id: int
    event_id: int
    organiser_id: int
    venue_id: int | None
    author_id: int
    author_name: str
    rating: int
    text: str
    tags: list[str]
    would_go_again: bool | None
    media: list[str]
    helpful: int
    status: str
    created_at: datetime
    updated_at: datetime
    editable_until: datetime
    reply: ReviewReplyRead | None = None
    hidden_reason: str | None = None
    event_deleted: bool = False


class HelpfulRead(msgspec.Struct):
    """How many people found the review helpful."""

    helpful: int


class SummaryRead(msgspec.Struct):
    """A target's published reviews: ``count`` always; the figures only from ``min_reviews`` reviews on.

    ``histogram`` maps stars ("1".."5") to counts; ``ranking`` is the Bayesian average used to rank (the prior's
    mean and weight are operator settings).
    """

    target: str
    target_id: int
    count: int
    min_reviews: int
    shown: bool
    average: float | None = None
    histogram: dict[str, int] | None = None
    ranking: float | None = None


__all__ = [
    "TAGS",
    "HelpfulRead",
    "ModerationBody",
    "Page",
    "ReplyBody",
    "ReportBody",
    "ReviewCreate",
    "ReviewRead",
    "ReviewReplyRead",
    "ReviewUpdate",
    "Sort",
    "SummaryRead",
]
