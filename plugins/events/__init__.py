"""Events: venues, events and series, moderation, participation with waitlist offers, the feed and calendars."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from core.manifest import Manifest


class EventsSettings(msgspec.Struct, forbid_unknown_fields=True):
    """Settings of the events plugin, from ``[settings.events]`` in plugins.toml."""

    remoderate_on_edit: bool = True
    """Editing the time, place or description of a published event sends it back to review."""
    offer_claim_minutes: int = 120
    """How long a waitlisted person has to claim freed seats before they pass to the next person."""
    max_guests: int = 9
    """The most ``+N`` guests one participant may bring."""
    max_radius_km: float = 500.0
    """The largest ``radius_km`` the feed accepts (the near-me query must stay selective)."""
    series_max_occurrences: int = 200
    """A series creates at most this many occurrences."""
    require_organiser_role: bool = False
    """Only holders of ``events.create`` (the organiser role) create events and venues; by default every verified
    user may (events go through moderation anyway). The app reads it from ``/api/v1/capabilities``."""
    trusted_after_approved: Annotated[int, Meta(ge=0, le=10_000)] = 0
    """Trust levels: once an organiser has this many events approved by moderators since the last report upheld
    against one of their events, their new submissions publish at once (0, the default: every event is reviewed;
    5 is a reasonable choice)."""
    public_url: str = ""
    """Base URL for personal calendar feed links (default: core's ``http.public_url``)."""


manifest = Manifest(
    name="events",
    version="0.1.0",
    summary="Events, venues, moderation, participation and the near-me feed",
    core=">=0.1,<1",
    settings=EventsSettings,
    public_settings=("max_guests", "max_radius_km", "require_organiser_role"),
)
