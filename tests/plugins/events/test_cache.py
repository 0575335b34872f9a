"""The read cache (core.cache + plugins/events/cache.py): hits and misses, invalidation by each changing hook, no
personal data shared between readers, ETag/304 from the cache, public profiles, and Redis away → uncached reads."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from core import cache
from core.http import response_cache
from core.users import services as users
from plugins.events import store
from tests.plugins.events.conftest import MOSCOW

FEED = "/api/v1/events"


def hits() -> int:
    """Reads answered from a cache: Redis's entries, or this process's copies of whole responses (response_cache)."""
    return cache.stats()["hit"] + response_cache.stats()["hit"]


async def feed_item(api: Any, event_id: int, **params: Any) -> dict[str, Any] | None:
    r = await api.get(FEED, params=params)
    assert r.status_code == 200, r.text
    return next((i for i in r.json()["items"] if i["id"] == event_id), None)


async def test_feed_page_hit_and_miss(api: Any, publish: Any) -> None:
    # Given a published event and a first read (a miss that fills the cache)
    event_id, _ = await publish(title="Chess club")
    first = await api.get(FEED, params={"tags": "games"})
    assert [i["id"] for i in first.json()["items"]] == [event_id]
    before = hits()
    # When the same query is read again (parameters in another order: the key is the parsed query)
    second = await api.get(f"{FEED}?limit=20&tags=games")
    # Then it comes from the cache, byte for byte, with the same ETag
    assert hits() == before + 1
    assert second.content == first.content and second.headers["etag"] == first.headers["etag"]
    # And another query is another entry
    await api.get(FEED, params={"tags": "sport"})
    assert hits() == before + 1


async def test_edit_is_visible_at_once(api: Any, publish: Any) -> None:
    event_id, author = await publish(title="Chess club")
    assert (await feed_item(api, event_id))["title"] == "Chess club"  # type: ignore[index]
    assert (await api.get(f"{FEED}/{event_id}")).json()["title"] == "Chess club"  # the anonymous card, cached
    r = await api.patch(f"{FEED}/{event_id}", headers=author.headers, json={"title": "Go club"})
    assert r.status_code == 200, r.text
    assert (await feed_item(api, event_id))["title"] == "Go club"  # type: ignore[index]
    assert (await api.get(f"{FEED}/{event_id}")).json()["title"] == "Go club"


async def test_join_and_leave_change_seats_left(api: Any, publish: Any, person: Any) -> None:
    event_id, _ = await publish(capacity=5)
    assert (await feed_item(api, event_id))["seats_left"] == 5  # type: ignore[index]
    assert (await api.get(f"{FEED}/{event_id}")).json()["participant_count"] == 0
    guest = await person()
    r = await api.post(f"{FEED}/{event_id}/join", headers=guest.headers, json={"guests": 1})
    assert r.status_code == 200, r.text
    assert (await feed_item(api, event_id))["seats_left"] == 3  # type: ignore[index]
    card = (await api.get(f"{FEED}/{event_id}")).json()
    assert (card["participant_count"], card["seats_left"]) == (2, 3)
    assert (await api.post(f"{FEED}/{event_id}/leave", headers=guest.headers)).status_code == 204
    assert (await feed_item(api, event_id))["seats_left"] == 5  # type: ignore[index]
    assert (await api.get(f"{FEED}/{event_id}")).json()["participant_count"] == 0


async def test_cancellation_leaves_the_feed(api: Any, publish: Any) -> None:
    event_id, author = await publish()
    assert await feed_item(api, event_id) is not None
    assert (await api.get(f"{FEED}/{event_id}")).json()["status"] == "published"
    r = await api.post(f"{FEED}/{event_id}/cancel", headers=author.headers, json={"reason": "The venue flooded"})
    assert r.status_code == 200, r.text
    assert await feed_item(api, event_id) is None
    assert (await api.get(f"{FEED}/{event_id}")).json()["status"] == "cancelled"
    # Deleting the cancelled event (no hook) takes its card too
    assert (await api.delete(f"{FEED}/{event_id}", headers=author.headers)).status_code == 204
    assert (await api.get(f"{FEED}/{event_id}")).status_code == 404


async def test_venue_moved_moves_cached_events(api: Any, publish: Any, venue: Any) -> None:
    from plugins.events import venues

    event_id, _ = await publish(venue_id=venue["id"], online_url=None)
    near = {"near": f"{MOSCOW[0]},{MOSCOW[1]}", "radius_km": 5}
    assert await feed_item(api, event_id, **near) is not None
    await venues.locate(venue["id"], latitude=59.9343, longitude=30.3351, timezone="Europe/Moscow", located="manual")
    assert await feed_item(api, event_id, **near) is None
    assert (await api.get(f"{FEED}/{event_id}")).json()["latitude"] == 59.9343


async def test_no_personal_data_shared_between_readers(api: Any, publish: Any, person: Any) -> None:
    event_id, author = await publish(capacity=10)
    guest, other = await person(), await person()
    assert (await api.post(f"{FEED}/{event_id}/join", headers=guest.headers)).status_code == 200
    # The anonymous card is cached first; then each reader gets their own view, never the cached one
    anonymous = (await api.get(f"{FEED}/{event_id}")).json()
    assert anonymous["my_status"] is None and anonymous["online_url"] is None
    mine = (await api.get(f"{FEED}/{event_id}", headers=guest.headers)).json()
    assert mine["my_status"] == "confirmed" and mine["online_url"] == "https://meet.example.org/x"
    theirs = (await api.get(f"{FEED}/{event_id}", headers=other.headers)).json()
    assert theirs["my_status"] is None and theirs["online_url"] is None
    assert (await api.get(f"{FEED}/{event_id}", headers=author.headers)).json()["online_url"] is not None
    # And the signed-in reads did not land in the anonymous entry
    again = (await api.get(f"{FEED}/{event_id}")).json()
    assert again == anonymous


async def test_link_only_event_is_not_cached_for_anonymous_readers(api: Any, publish: Any) -> None:
    event_id, author = await publish(visibility="link")
    key = (await api.get(f"{FEED}/{event_id}", headers=author.headers)).json()["share_key"]
    assert (await api.get(f"{FEED}/{event_id}", params={"key": key})).status_code == 200
    assert (await api.get(f"{FEED}/{event_id}")).status_code == 404  # the keyed read filled nothing


async def test_etag_and_304_from_the_cache(api: Any, publish: Any) -> None:
    event_id, author = await publish()
    for url in (FEED, f"{FEED}/{event_id}"):
        first = await api.get(url)
        before = hits()
        r = await api.get(url, headers={"If-None-Match": first.headers["etag"]})
        assert r.status_code == 304 and r.content == b"" and r.headers["etag"] == first.headers["etag"]
        assert hits() == before + 1
    old = (await api.get(FEED)).headers["etag"]
    assert (await api.patch(f"{FEED}/{event_id}", headers=author.headers, json={"title": "New"})).status_code == 200
    r = await api.get(FEED, headers={"If-None-Match": old})
    assert r.status_code == 200 and r.headers["etag"] != old


async def test_bumps_inside_a_transaction_land_after_the_commit(sbor_database: Any) -> None:
    async def version() -> bytes | str | None:
        return await cache.client().get(cache.key("cv", "test:dep"))

    async with store.transaction():
        await cache.bump("test:dep")
        assert await version() is None  # a reader now would fill the cache with rows not committed yet
    assert await version() == b"1"
    await cache.bump("test:dep")  # outside a transaction: at once
    assert await version() == b"2"


async def test_public_profile_cached_and_invalidated(make_client: Any, make_user: Any, auth_headers: Any) -> None:
    api = await make_client(["events"])
    owner = await make_user(display_name="Anna")
    headers = await auth_headers(owner)
    url = f"/api/v1/users/{owner.id}/profile"
    assert (await api.get(url)).json()["display_name"] == "Anna"
    before = hits()
    assert (await api.get(url)).json()["display_name"] == "Anna"
    assert hits() == before + 1
    assert (await api.patch("/api/v1/me", headers=headers, json={"display_name": "Anya"})).status_code == 200
    assert (await api.get(url)).json()["display_name"] == "Anya"
    # A profile only some may see is never served from the cache to others
    r = await api.patch("/api/v1/me", headers=headers, json={"privacy": {"profile": "nobody"}})
    assert r.status_code == 200, r.text
    assert (await api.get(url)).status_code == 404
    assert (await api.get(url, headers=headers)).status_code == 200  # the owner still sees it
    assert (await api.get(url)).status_code == 404
    await api.patch("/api/v1/me", headers=headers, json={"privacy": {"profile": "everyone"}})
    assert (await api.get(url)).status_code == 200
    await users.ban_user(owner.id, "spam", None)
    assert (await api.get(url)).status_code == 404


async def test_redis_down_reads_uncached_and_recovers_fresh(api: Any, publish: Any, use_redis: Any,
                                                             private_redis: Any) -> None:
    # Given a cache on a Redis that then becomes unreachable
    await use_redis(private_redis.url)
    event_id, author = await publish(title="Before")
    assert (await feed_item(api, event_id))["title"] == "Before"  # type: ignore[index]
    assert (await api.get(f"{FEED}/{event_id}")).status_code == 200
    await use_redis("redis://127.0.0.1:1/0")  # nothing listens there
    # When an event changes while Redis is away (the invalidation is lost)
    r = await api.patch(f"{FEED}/{event_id}", headers=author.headers, json={"title": "During"})
    assert r.status_code == 200, r.text
    # Then the feed and the card still answer 200, from the database
    errors = cache.stats()["error"]
    assert (await feed_item(api, event_id))["title"] == "During"  # type: ignore[index]
    r = await api.get(f"{FEED}/{event_id}")
    assert r.status_code == 200 and r.json()["title"] == "During"
    assert cache.stats()["error"] >= errors
    # And once Redis is back, its entries from before the outage are not served (the epoch moved)
    await use_redis(private_redis.url)
    assert (await feed_item(api, event_id))["title"] == "During"  # type: ignore[index]
    assert (await api.get(f"{FEED}/{event_id}")).json()["title"] == "During"


async def test_a_change_stales_only_the_pages_showing_the_event(api: Any, publish: Any, person: Any) -> None:
    # Given two events on different pages (by tag), both pages cached
    music, author = await publish(tags=["music"], capacity=5, title="Jazz evening")
    sport, _ = await publish(tags=["sport"], capacity=5)
    await feed_item(api, music, tags="music")
    await feed_item(api, sport, tags="sport")
    # When someone joins the music event and its author retitles it
    guest = await person()
    assert (await api.post(f"{FEED}/{music}/join", headers=guest.headers)).status_code == 200
    r = await api.patch(f"{FEED}/{music}", headers=author.headers, json={"title": "Blues night"})
    assert r.status_code == 200, r.text
    # Then the sport page is still served from the cache, the music page is fresh
    before = hits()
    await feed_item(api, sport, tags="sport")
    assert hits() == before + 1
    item = await feed_item(api, music, tags="music")
    assert item is not None and (item["title"], item["seats_left"]) == ("Blues night", 4)
    # And text searches follow the new title (a search page need not have shown the event before)
    assert await feed_item(api, music, q="blues") is not None
    assert await feed_item(api, music, q="jazz") is None


async def test_a_page_computed_while_an_event_changed_is_not_stored(sbor_database: Any) -> None:
    found = await cache.lookup("test:page", ("test:shape",), guard="test:guard")
    assert found.hit is None and found.stamp is not None
    await cache.bump("test:item", "test:guard")  # a change lands while the page is computed
    await cache.store("test:page", found, '"e"', b"{}", parts=["test:item"], guard="test:guard")
    assert (await cache.lookup("test:page", ("test:shape",), guard="test:guard")).hit is None
    found = await cache.lookup("test:page", ("test:shape",), guard="test:guard")
    await cache.store("test:page", found, '"e"', b"{}", parts=["test:item"], guard="test:guard")
    assert (await cache.lookup("test:page", ("test:shape",), guard="test:guard")).hit == cache.Hit('"e"', b"{}")
    await cache.bump("test:item")  # a part of the page changed
    assert (await cache.lookup("test:page", ("test:shape",), guard="test:guard")).hit is None


async def fast_path_live(api: Any) -> None:
    """Wait (with a deadline) until this process's copies are served: the bump subscription is up."""
    await api.get(FEED, params={"tags": "warm-up"})  # the first opted-in request starts the subscriber
    deadline = time.monotonic() + 5
    while not response_cache.live():
        assert time.monotonic() < deadline, "the bump subscription did not come up"
        await asyncio.sleep(0.01)


async def test_edit_reaches_the_process_copy_within_a_second(api: Any, publish: Any) -> None:
    # Given a feed page served from this process's copy (before Litestar runs)
    event_id, author = await publish(title="Chess club")
    await fast_path_live(api)
    await feed_item(api, event_id)
    served = response_cache.stats()["hit"]
    assert (await feed_item(api, event_id))["title"] == "Chess club"  # type: ignore[index]
    assert response_cache.stats()["hit"] == served + 1
    # When its author retitles it
    r = await api.patch(f"{FEED}/{event_id}", headers=author.headers, json={"title": "Go club"})
    assert r.status_code == 200, r.text
    edited = time.monotonic()
    # Then a read shows the new title within a second (the bump's message drops the copy)
    while (await feed_item(api, event_id))["title"] != "Go club":  # type: ignore[index]
        assert time.monotonic() - edited < 1.0, "the edit was not visible within 1 s"
        await asyncio.sleep(0.01)
    # And the fresh page is then served from a copy again
    served = response_cache.stats()["hit"]
    await feed_item(api, event_id)
    await feed_item(api, event_id)
    assert response_cache.stats()["hit"] >= served + 1
