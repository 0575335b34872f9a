"""Aggregates: exact under 50 concurrent reviews, moved by edits, hides and deletions; shown from the threshold on;
the Bayesian ranking; the feed sorted by the organiser's rating."""

from __future__ import annotations

import asyncio
from typing import Any

from plugins.reviews.schemas import ReviewCreate
from tests.plugins.reviews.conftest import write


async def figures(target: str, target_id: int) -> dict[str, int]:
    from plugins.reviews.tables import Aggregate

    row = await Aggregate.select().where((Aggregate.target == target) & (Aggregate.target_id == target_id)).first()
    assert row is not None, (target, target_id)
    return {k: row[k] for k in ("reviews", "total", "stars_1", "stars_2", "stars_3", "stars_4", "stars_5")}


async def test_fifty_reviews_at_once_are_counted_exactly(finished: Any) -> None:
    from plugins.reviews import services

    # Given an event that 50 people attended
    scene = await finished(attendees=50, capacity=60, signed_in=False)
    # When all of them review it at the same moment (ratings 1..5, ten of each)
    results = await asyncio.gather(*[
        services.create(p.id, scene.event.id, ReviewCreate(rating=i % 5 + 1, text=f"review {i}"))
        for i, p in enumerate(scene.attendees)])
    # Then every review is published and each target counted each one exactly once
    assert {r.status for r in results} == {"published"}
    want = {"reviews": 50, "total": 150, "stars_1": 10, "stars_2": 10, "stars_3": 10, "stars_4": 10, "stars_5": 10}
    assert await figures("event", scene.event.id) == want
    assert await figures("organiser", scene.organiser.id) == want
    assert scene.event.venue_id is not None
    assert await figures("venue", scene.event.venue_id) == want


async def test_edits_hides_and_deletions_move_the_figures(api: Any, finished: Any, person: Any) -> None:
    scene = await finished(attendees=2)
    a, b = scene.attendees
    ra = (await write(api, a, scene.event.id, rating=5)).json()["id"]
    rb = (await write(api, b, scene.event.id, rating=4)).json()["id"]
    assert await figures("event", scene.event.id) == {"reviews": 2, "total": 9, "stars_1": 0, "stars_2": 0,
                                                      "stars_3": 0, "stars_4": 1, "stars_5": 1}
    # an edit moves the rating between buckets
    r = await api.patch(f"/api/v1/reviews/{ra}", headers=a.headers, json={"rating": 2, "text": "Meh after all"})
    assert r.status_code == 200, r.text
    assert await figures("event", scene.event.id) == {"reviews": 2, "total": 6, "stars_1": 0, "stars_2": 1,
                                                      "stars_3": 0, "stars_4": 1, "stars_5": 0}
    # hiding subtracts
    mod = await person("moderator")
    r = await api.post(f"/api/v1/reviews/{rb}/hide", headers=mod.headers, json={"reason": "Off topic"})
    assert r.status_code == 204, r.text
    assert await figures("organiser", scene.organiser.id) == {"reviews": 1, "total": 2, "stars_1": 0, "stars_2": 1,
                                                              "stars_3": 0, "stars_4": 0, "stars_5": 0}
    # restoring adds back; deleting subtracts
    assert (await api.post(f"/api/v1/reviews/{rb}/approve", headers=mod.headers)).status_code == 204
    assert (await figures("event", scene.event.id))["reviews"] == 2
    assert (await api.delete(f"/api/v1/reviews/{ra}", headers=a.headers)).status_code == 204
    assert await figures("event", scene.event.id) == {"reviews": 1, "total": 4, "stars_1": 0, "stars_2": 0,
                                                      "stars_3": 0, "stars_4": 1, "stars_5": 0}


async def test_summaries_show_figures_from_the_threshold(api: Any, finished: Any) -> None:
    scene = await finished(attendees=3)
    url = f"/api/v1/reviews/events/{scene.event.id}/summary"
    for p, rating in zip(scene.attendees[:2], (5, 4), strict=True):
        assert (await write(api, p, scene.event.id, rating=rating)).status_code == 201
    r = await api.get(url)
    assert r.json() == {"target": "event", "target_id": scene.event.id, "count": 2, "min_reviews": 3, "shown": False,
                        "average": None, "histogram": None, "ranking": None}
    assert (await write(api, scene.attendees[2], scene.event.id, rating=3, text="Ok")).status_code == 201
    body = (await api.get(url)).json()
    assert body["shown"] is True and body["average"] == 4.0
    assert body["histogram"] == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1}
    assert body["ranking"] == round((10 * 4.0 + 12) / 13, 4)
    for url in (f"/api/v1/reviews/organisers/{scene.organiser.id}/summary",
                f"/api/v1/reviews/venues/{scene.event.venue_id}/summary"):
        r = await api.get(url)
        assert r.status_code == 200 and r.json()["count"] == 3 and r.json()["average"] == 4.0
    r = await api.get("/api/v1/reviews/organisers/999999/summary")
    assert (r.status_code, r.json()["code"]) == (404, "user_not_found")
    r = await api.get("/api/v1/reviews/events/999999/summary")
    assert (r.status_code, r.json()["code"]) == (404, "event_not_found")


def test_the_bayesian_average_does_not_let_three_fives_outrank_two_hundred_4_8s() -> None:
    from plugins.reviews import ReviewsSettings
    from plugins.reviews.aggregates import ranking

    s = ReviewsSettings()
    assert s.min_reviews_shown == 5  # figures shown from five published reviews on, unless the operator says otherwise
    three_fives = ranking(3, 15, s)
    many = ranking(200, 960, s)
    assert three_fives is not None and many is not None
    assert three_fives < many and round(many, 2) == 4.76 and ranking(0, 0, s) is None


async def test_lists_newest_and_most_helpful_first(api: Any, finished: Any) -> None:
    scene = await finished(attendees=3)
    ids = [(await write(api, p, scene.event.id, rating=5, text=f"t{i}")).json()["id"]
           for i, p in enumerate(scene.attendees)]
    for p in scene.attendees[1:]:
        await api.post(f"/api/v1/reviews/{ids[0]}/helpful", headers=p.headers)
    await api.post(f"/api/v1/reviews/{ids[1]}/helpful", headers=scene.attendees[0].headers)
    base = f"/api/v1/reviews/events/{scene.event.id}"
    seen, cursor = [], None
    while True:
        r = await api.get(base, params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        seen += [i["id"] for i in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if not cursor:
            break
    assert seen == ids[::-1]
    r = await api.get(base, params={"sort": "helpful", "limit": 2})
    assert [i["id"] for i in r.json()["items"]] == [ids[0], ids[1]]
    r = await api.get(base, params={"sort": "helpful", "limit": 2, "cursor": r.json()["next_cursor"]})
    assert [i["id"] for i in r.json()["items"]] == [ids[2]]
    r = await api.get(base, params={"sort": "helpful", "cursor": cursor or "v1.e30.AAAA"})
    assert (r.status_code, r.json()["code"]) == (400, "invalid_cursor")
    r = await api.get(base, params={"sort": "best"})
    assert r.status_code == 400
    for url in (f"/api/v1/reviews/organisers/{scene.organiser.id}", f"/api/v1/reviews/venues/{scene.event.venue_id}"):
        assert len((await api.get(url)).json()["items"]) == 3


async def test_the_feed_sorts_by_the_organisers_rating(api: Any, finished: Any, make_published_event: Any,
                                                       refresh: Any) -> None:
    good, poor = await finished(attendees=1), await finished(attendees=1)
    await refresh(*good.attendees)
    # poor's next event is published before its review, good's after: both get their organiser's rating
    poor_next = await make_published_event(author_id=poor.organiser.id)
    assert (await write(api, good.attendees[0], good.event.id, rating=5)).status_code == 201
    assert (await write(api, poor.attendees[0], poor.event.id, rating=2, text="Late")).status_code == 201
    good_next = await make_published_event(author_id=good.organiser.id)
    unrated = await make_published_event()
    r = await api.get("/api/v1/events", params={"sort": "rating"})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["id"] for i in items] == [good_next.id, poor_next.id, unrated.id]
    assert items[0]["rating_rank"] == round((40 + 5) / 11, 4) and items[2]["rating_rank"] is None
    first = await api.get("/api/v1/events", params={"sort": "rating", "limit": 1})
    second = await api.get("/api/v1/events", params={"sort": "rating", "limit": 1,
                                                     "cursor": first.json()["next_cursor"]})
    assert [i["id"] for i in second.json()["items"]] == [poor_next.id]
    third = await api.get("/api/v1/events", params={"sort": "rating", "limit": 1,
                                                    "cursor": second.json()["next_cursor"]})
    assert [i["id"] for i in third.json()["items"]] == [unrated.id] and third.json()["next_cursor"] is None
    r = await api.get("/api/v1/events", params={"sort": "rating", "near": "52.5,13.4"})
    assert (r.status_code, r.json()["code"]) == (400, "invalid_parameter")
    r = await api.get("/api/v1/events", params={"sort": "start", "cursor": first.json()["next_cursor"]})
    assert (r.status_code, r.json()["code"]) == (400, "invalid_cursor")
