"""The figures in the event, venue and organiser responses: shown from ``min_reviews_shown`` published reviews on,
moved by a hide and a deletion in the review's transaction, never stale in the event's cached card, in OpenAPI."""

from __future__ import annotations

from typing import Any

import httpx
import pytest_asyncio

from plugins.reviews.schemas import ReviewCreate
from tests.plugins.reviews.conftest import PLUGINS

THRESHOLD = 5


@pytest_asyncio.fixture(loop_scope="session")
async def client(make_client: Any) -> httpx.AsyncClient:
    """An app with events, reviews and notify, figures shown from five published reviews (the default)."""
    return await make_client(PLUGINS, settings={"reviews": {"min_reviews_shown": THRESHOLD}})


def figures(ratings: list[int]) -> dict[str, Any]:
    """The ``rating`` a response shows for these published ratings (prior: ten reviews at 4.0)."""
    return {
        "count": len(ratings),
        "average": round(sum(ratings) / len(ratings), 2),
        "histogram": [ratings.count(n) for n in range(1, 6)],
        "ranking": round((10 * 4.0 + sum(ratings)) / (10 + len(ratings)), 4),
    }


async def test_event_venue_and_profile_show_the_figures_from_the_threshold(
    client: httpx.AsyncClient, finished: Any, person: Any
) -> None:
    from plugins.events import reads
    from plugins.reviews import moderation, services

    # Given a finished event at a venue that six people attended, and an anonymous reader's cached card of it
    scene = await finished(attendees=6, signed_in=False)
    event_url = f"/api/v1/events/{scene.event.id}"
    profile_url = f"/api/v1/users/{scene.organiser.id}/profile"
    venue_id = scene.event.venue_id
    assert venue_id is not None
    first = await client.get(event_url)
    assert first.status_code == 200 and first.json()["rating"] is None
    assert (await client.get(profile_url)).json()["rating"] is None

    # When four of them review it: below the threshold nothing is shown, the card still from the cache
    ratings = [5, 4, 4, 3, 5, 2]
    ids = []
    for p, stars in zip(scene.attendees[:4], ratings, strict=False):
        ids.append((await services.create(p.id, scene.event.id, ReviewCreate(rating=stars, text="It was ok"))).id)
    assert (await client.get(event_url)).json()["rating"] is None
    assert await reads.venue_figures(venue_id) is None
    assert (await client.get(profile_url)).json()["rating"] is None
    # Then the fifth shows the figures in the event (its old ETag no longer matches), the venue and the profile
    ids.append(
        (await services.create(scene.attendees[4].id, scene.event.id, ReviewCreate(rating=ratings[4], text="Good"))).id
    )
    again = await client.get(event_url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 200 and again.json()["rating"] == figures(ratings[:5])
    assert again.json()["version"] == first.json()["version"]  # a review is no edit: If-Match stays valid
    assert (await client.get(event_url, headers={"If-None-Match": again.headers["etag"]})).status_code == 304
    venue = await reads.venue_figures(venue_id)
    assert venue is not None and venue.count == 5 and venue.histogram == figures(ratings[:5])["histogram"]
    assert (await client.get(profile_url)).json()["rating"] == figures(ratings[:5])
    # And a sixth review moves them, a hide recomputes them, a deletion below the threshold hides them
    ids.append(
        (
            await services.create(
                scene.attendees[5].id, scene.event.id, ReviewCreate(rating=ratings[5], text="Too crowded")
            )
        ).id
    )
    assert (await client.get(event_url)).json()["rating"] == figures(ratings)
    assert (await client.get(profile_url)).json()["rating"] == figures(ratings)
    mod = await person("moderator")
    await moderation.hide(ids[0], mod.id, "Off topic")
    left = ratings[1:]
    assert (await client.get(event_url)).json()["rating"] == figures(left)
    assert (await client.get(profile_url)).json()["rating"] == figures(left)
    venue = await reads.venue_figures(venue_id)
    assert venue is not None and venue.count == 5 and venue.average == figures(left)["average"]
    await services.delete(scene.attendees[1].id, ids[1])
    assert (await client.get(event_url)).json()["rating"] is None
    assert (await client.get(profile_url)).json()["rating"] is None
    assert await reads.venue_figures(venue_id) is None
    # The summary endpoint agrees (it always gives the count)
    summary = (await client.get(f"/api/v1/reviews/events/{scene.event.id}/summary")).json()
    assert (summary["count"], summary["shown"], summary["average"]) == (4, False, None)


async def test_the_venue_response_shows_the_figures(client: httpx.AsyncClient, finished: Any) -> None:
    from plugins.reviews import services

    scene = await finished(attendees=THRESHOLD, signed_in=False)
    for p in scene.attendees:
        await services.create(p.id, scene.event.id, ReviewCreate(rating=4, text="Fine"))
    r = await client.get(f"/api/v1/events/venues/{scene.event.venue_id}")
    assert r.status_code == 200, r.text
    assert r.json()["rating"] == figures([4] * THRESHOLD)


async def test_openapi_shows_the_figures_struct(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    components = schema["components"]["schemas"]
    figures_schema = components["RatingFigures"]
    assert set(figures_schema["properties"]) == {"count", "average", "histogram", "ranking"}
    assert figures_schema["properties"]["histogram"]["minItems"] == 5
    for name in ("EventRead", "VenueRead", "ProfileRead"):
        rating = components[name]["properties"]["rating"]
        assert {"$ref": "#/components/schemas/RatingFigures"} in rating.get("oneOf", rating.get("anyOf", [])), rating


async def test_a_new_threshold_or_prior_restates_the_stored_figures_once(
    client: httpx.AsyncClient, make_client: Any, finished: Any, run_jobs: Any
) -> None:
    from plugins.events import reads
    from plugins.reviews import services

    # Given four reviews: below the threshold of five nothing is shown
    scene = await finished(attendees=4, signed_in=False)
    ratings = [5, 4, 3, 5]
    for p, stars in zip(scene.attendees, ratings, strict=True):
        await services.create(p.id, scene.event.id, ReviewCreate(rating=stars, text="Fine"))
    event_url = f"/api/v1/events/{scene.event.id}"
    profile_url = f"/api/v1/users/{scene.organiser.id}/profile"
    assert (await client.get(event_url)).json()["rating"] is None
    await run_jobs()
    # When the operator lowers the threshold to three and moves the prior, and the app starts again
    lowered = await make_client(PLUGINS, settings={"reviews": {"min_reviews_shown": 3, "prior_mean": 3.0,
                                                               "prior_count": 2}})
    # Then a job writes the stored figures again: the event, its venue and the organiser's profile show them
    assert await run_jobs() == 1
    shown = {"count": 4, "average": 4.25, "histogram": [0, 0, 1, 1, 2], "ranking": round((2 * 3.0 + 17) / 6, 4)}
    assert (await lowered.get(event_url)).json()["rating"] == shown
    assert (await lowered.get(profile_url)).json()["rating"] == shown
    venue_id = scene.event.venue_id
    assert venue_id is not None and (await reads.venue_figures(venue_id)) is not None
    # And starting again with the same settings enqueues nothing; restating again changes nothing
    await make_client(PLUGINS, settings={"reviews": {"min_reviews_shown": 3, "prior_mean": 3.0, "prior_count": 2}})
    assert await run_jobs() == 0
    assert await services.restate_figures(batch=1) == 3  # event, organiser, venue: idempotent, in batches of one
    assert (await lowered.get(event_url)).json()["rating"] == shown


async def test_with_redis_away_at_start_up_nothing_is_restated_and_the_next_start_asks_again(
    client: httpx.AsyncClient, make_client: Any, run_jobs: Any, monkeypatch: Any
) -> None:
    import redis.asyncio

    from core import cache
    from plugins.reviews import services
    from tests.core.test_outages import closed_port

    # Given figures recorded under a threshold of five (the fixture's app), then Redis unreachable at a new start
    real = cache.client
    down = redis.asyncio.Redis(port=closed_port(), socket_connect_timeout=1)
    monkeypatch.setattr(cache, "client", lambda: down)
    settings = {"reviews": {"min_reviews_shown": 2}}
    await make_client(PLUGINS, settings=settings)  # its start-up logs the failure and serves all the same
    assert await services.figures_settings_changed() is False
    await down.aclose()
    # When Redis is back, the next start notices the change and enqueues the restate
    monkeypatch.setattr(cache, "client", real)
    await make_client(PLUGINS, settings=settings)
    assert await run_jobs() == 1
