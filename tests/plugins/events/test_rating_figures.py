"""Ratings in the event detail (``EventRead.rating``): absent without a ratings plugin, set through ``api``, fresh in
the anonymous card's cache, never an edit (the version stays)."""

from __future__ import annotations

from typing import Any

import httpx

from core.users.schemas import RatingFigures


async def test_without_reviews_the_event_venue_and_profile_carry_no_rating(
    api: httpx.AsyncClient, make_published_event: Any, events_venue: Any
) -> None:
    from plugins.events import reads

    # Given events without the reviews plugin: nothing answers for ratings
    event = await make_published_event(venue_id=events_venue.id)
    r = await api.get(f"/api/v1/events/{event.id}")
    assert r.status_code == 200 and r.json()["rating"] is None
    r = await api.get(f"/api/v1/events/venues/{events_venue.id}")
    assert r.status_code == 200 and r.json().get("rating") is None
    assert await reads.venue_figures(events_venue.id) is None
    r = await api.get(f"/api/v1/users/{event.author_id}/profile")
    assert r.status_code == 200 and r.json()["rating"] is None


async def test_figures_set_through_the_api_show_at_once_in_the_cached_card(
    api: httpx.AsyncClient, make_published_event: Any, events_venue: Any
) -> None:
    from plugins.events import api as events
    from plugins.events import reads
    from plugins.events.store import transaction

    event = await make_published_event(venue_id=events_venue.id)
    url = f"/api/v1/events/{event.id}"
    first = await api.get(url)  # the anonymous card, now cached
    assert (await api.get(url, headers={"If-None-Match": first.headers["etag"]})).status_code == 304
    figures = RatingFigures(count=7, average=4.29, histogram=[0, 0, 1, 3, 3], ranking=4.12)
    # When a plugin sets them in its transaction (the card's invalidation waits for the commit)
    async with transaction():
        await events.set_event_figures(event.id, figures)
        await events.set_venue_figures(events_venue.id, figures)
        assert await reads.event_figures(event.id) == figures
    r = await api.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert r.status_code == 200, r.text
    assert r.json()["rating"] == {"count": 7, "average": 4.29, "histogram": [0, 0, 1, 3, 3], "ranking": 4.12}
    assert r.json()["version"] == first.json()["version"] and r.headers["etag"] != first.headers["etag"]
    assert await reads.venue_figures(events_venue.id) == figures
    # And None takes them away again
    await events.set_event_figures(event.id, None)
    await events.set_venue_figures(events_venue.id, None)
    assert (await api.get(url)).json()["rating"] is None
    assert await reads.venue_figures(events_venue.id) is None
