"""Analytics counts reviews through their hooks (optional: it does not depend on reviews) and shows the organiser
the rating over time and the tags on the event's dashboard."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.hooks.manager import PluginsFile, build
from tests.plugins.reviews.conftest import write


def test_analytics_loads_without_reviews() -> None:
    # The review hooks are optional implementations: pluggy's check_pending leaves them alone without their spec.
    registry = build(PluginsFile(enabled=["events", "analytics"]))
    assert not registry.is_enabled("reviews")
    with_reviews = build(PluginsFile(enabled=["events", "analytics", "reviews"]))
    names = {i.plugin_name for i in with_reviews.hooks.implementations("review_published")}
    assert {"analytics", "reviews"} <= names


async def test_the_organisers_dashboard_shows_rating_over_time_and_tags(make_client: Any, finished: Any,
                                                                        person: Any, clock: Any,
                                                                        refresh: Any) -> None:
    from plugins.analytics import rollups

    api = await make_client(["events", "reviews", "analytics"])
    scene = await finished(attendees=3)
    a, b, c = scene.attendees
    assert (await write(api, a, scene.event.id, rating=5, tags=["friendly", "well_organised"])).status_code == 201
    rb = (await write(api, b, scene.event.id, rating=3, text="Crowded", tags=["too_crowded"])).json()["id"]
    await rollups.refresh()
    # the next day: one more review, one edit (3 → 4 stars, a tag more), one hidden
    clock.advance(timedelta(days=1))
    await refresh(a, b, c, scene.organiser)
    rc = (await write(api, c, scene.event.id, rating=1, text="Awful", tags=["friendly"])).json()["id"]
    r = await api.patch(f"/api/v1/reviews/{rb}", headers=b.headers, json={"rating": 4, "tags": ["too_crowded",
                                                                                            "friendly"]})
    assert r.status_code == 200, r.text
    mod = await person("moderator")
    assert (await api.post(f"/api/v1/reviews/{rc}/hide", headers=mod.headers,
                           json={"reason": "Rude"})).status_code == 204
    await rollups.refresh()
    since = (clock.now() - timedelta(days=1)).date().isoformat()
    r = await api.get(f"/api/v1/analytics/events/{scene.event.id}/dashboard", headers=scene.organiser.headers,
                      params={"since": since})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["reviews"], body["rating"]) == (2, 4.5)
    assert body["review_tags"] == {"friendly": 2, "well_organised": 1, "too_crowded": 1}
    ratings = [(d["reviews"], d["rating"]) for d in body["days"] if d["reviews"] or d["rating_sum"]]
    assert ratings == [(2, 4.0), (0, 4.5)]  # day 1: 5 and 3; day 2: +1 then hidden, 3 → 4
