"""Reviews: ratings and reviews of finished events by the people who were there, moderated, with the host's reply."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from core.manifest import Manifest


class ReviewsSettings(msgspec.Struct, forbid_unknown_fields=True):
    """Settings of the reviews plugin, from ``[settings.reviews]`` in plugins.toml (checked at start-up)."""

    min_reviews_shown: Annotated[int, Meta(ge=1, le=1000)] = 5
    """An average and histogram are shown only once a target has this many published reviews."""
    prior_mean: Annotated[float, Meta(ge=1.0, le=5.0)] = 4.0
    """The Bayesian prior's mean: the platform's typical rating (set it near the global mean of published reviews)."""
    prior_count: Annotated[int, Meta(ge=0, le=10_000)] = 10
    """The Bayesian prior's weight, in reviews: how many real reviews it takes to outweigh the prior."""
    edit_days: Annotated[int, Meta(ge=0, le=365)] = 14
    """How long after writing it an author may edit a review."""
    invite_after_hours: Annotated[int, Meta(ge=0, le=72)] = 2
    """The invitation to review goes out no sooner than this after the event's end …"""
    invite_within_hours: Annotated[int, Meta(ge=1, le=168)] = 24
    """… and no later than this after it, at the attendee's local daytime."""
    daytime_from_hour: Annotated[int, Meta(ge=0, le=23)] = 10
    """The attendee's local daytime starts at this hour (invitations wait for it) …"""
    daytime_to_hour: Annotated[int, Meta(ge=1, le=24)] = 20
    """… and ends at this hour."""
    invite_every_days: Annotated[int, Meta(ge=0, le=365)] = 30
    """At most one invitation to review per user in this many days (no review fatigue)."""
    blocklist: list[Annotated[str, Meta(min_length=1, max_length=100)]] = []
    """Words or phrases (case-insensitive) that hold a review for moderation."""
    reports_per_hour: Annotated[int, Meta(ge=1)] = 20
    """Reports one user may file per hour (429 beyond)."""


manifest = Manifest(
    name="reviews",
    version="0.1.0",
    summary="Ratings and reviews of finished events by their attendees, with moderation and the organiser's reply",
    depends={"events": ">=0.1,<1"},
    core=">=0.1,<1",
    settings=ReviewsSettings,
    public_settings=("min_reviews_shown", "edit_days"),
)
