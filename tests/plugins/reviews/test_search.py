"""Search indexes the organiser's rating through the review hooks and sorts by it (search is optional to reviews)."""

from __future__ import annotations

from typing import Any

from tests.plugins.reviews.conftest import SETTINGS, write


async def test_search_sorts_by_the_rating_reviews_give_and_take(make_client: Any, finished: Any,
                                                                make_published_event: Any, person: Any,
                                                                refresh: Any) -> None:
    from plugins.search import indexer

    api = await make_client(["events", "reviews", "search"], settings=SETTINGS)
    good, poor = await finished(attendees=1), await finished(attendees=1)
    await refresh(*good.attendees)
    # Given each organiser's next event indexed before any review
    good_next = await make_published_event(author_id=good.organiser.id, title="Chess night")
    poor_next = await make_published_event(author_id=poor.organiser.id, title="Chess evening")
    await indexer.apply(budget_s=30)

    async def ranked() -> list[tuple[int, float | None]]:
        await indexer.apply(budget_s=30)
        r = await api.get("/api/v1/search/events", params={"q": "chess", "sort": "rating"})
        assert r.status_code == 200, r.text
        return [(i["id"], i["rating"]) for i in r.json()["items"]]

    # When their past events are reviewed, 5 and 2 stars
    assert (await write(api, good.attendees[0], good.event.id, rating=5)).status_code == 201
    assert (await write(api, poor.attendees[0], poor.event.id, rating=2, text="Late")).status_code == 201
    # Then the search index carries each organiser's ranking, best first
    assert await ranked() == [(good_next.id, round((40 + 5) / 11, 4)), (poor_next.id, round((40 + 2) / 11, 4))]
    # and a moderator hiding the good review takes it out again (unrated last)
    rid = (await api.get(f"/api/v1/reviews/events/{good.event.id}")).json()["items"][0]["id"]
    mod = await person("moderator")
    r = await api.post(f"/api/v1/reviews/{rid}/hide", headers=mod.headers, json={"reason": "Not about the event"})
    assert r.status_code == 204, r.text
    assert [i for i, _ in await ranked()] == [poor_next.id, good_next.id]
