"""The PostgreSQL backend: words (stems, prefix, synonyms), filters, facets in the user's time zone, sorts, pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core import clock as core_clock
from core.pagination import encode_cursor
from plugins.events import participation
from plugins.search import indexer
from plugins.search.tables import Outbox, Synonym
from tests.plugins.search.conftest import BERLIN, MOSCOW, indexed


async def test_words_stems_prefix_and_synonyms(search_api: Any, event: Any) -> None:
    api = await search_api()
    await event("Концерты джаза в парке", tags=["music"], category="concert")
    await event("Film night: classics", tags=["film"])
    await event("Board games night", tags=["games"])
    await Synonym.insert(Synonym(words=["кино", "film"]))
    await indexed()

    async def titles(q: str) -> list[str]:
        r = await api.get("/api/v1/search/events", params={"q": q})
        assert r.status_code == 200, r.text
        assert r.headers["search-backend"] == "postgres"
        return [i["title"] for i in r.json()["items"]]

    assert await titles("концерт") == ["Концерты джаза в парке"]  # stem
    assert await titles("джаз конц") == ["Концерты джаза в парке"]  # the last word as a prefix, as one types
    assert await titles("board game") == ["Board games night"]  # English stems
    assert await titles("кино") == ["Film night: classics"]  # the operator's synonyms
    assert await titles("опера") == []
    caps = (await api.get("/api/v1/capabilities")).json()  # the app learns it has no typo tolerance here
    (search,) = [p["features"] for p in caps["plugins"] if p["name"] == "search"]
    assert (search["backend"], search["typo_tolerance"], search["facet_counts"]) == ("postgres", False, True)


async def test_filters_and_facets_in_the_users_time_zone(search_api: Any, event: Any, make_venue: Any,
                                                         clock: Any, make_user: Any) -> None:
    # Given a Saturday 22:30 UTC: already Sunday in Moscow
    clock.freeze(datetime(2026, 12, 5, 22, 30, tzinfo=UTC))
    api = await search_api()
    berlin, moscow = await make_venue("Berlin", BERLIN), await make_venue("Moscow", MOSCOW, "Europe/Moscow")
    await event("Free jazz", days=0.1, venue=berlin, price_cents=0, tags=["music", "jazz"], category="concert")
    rock = await event("Paid rock", days=1.2, venue=moscow, price_cents=1500, tags=["music"], category="concert",
                capacity=1)
    await event("Online quiz", days=5, price_cents=0, tags=["quiz"], category="games")
    await indexed()

    r = await api.get("/api/v1/search/events", params={"facets": "category,tags,city,date,price,online,seats",
                                                        "tz": "Europe/Moscow"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["found"] == 3
    facets = {k: {f["value"]: f["count"] for f in v} for k, v in body["facets"].items()}
    assert facets["category"] == {"concert": 2, "games": 1}
    assert facets["tags"] == {"music": 2, "jazz": 1, "quiz": 1}
    assert facets["city"] == {"Berlin": 1, "Moscow": 1}
    assert facets["price"] == {"free": 2, "paid": 1}
    assert facets["online"] == {"online": 1, "in_person": 2}
    assert facets["seats"] == {"available": 3}
    # Sunday in Moscow: "today" is Sunday (the jazz at 00:54 local), "tomorrow" Monday (the rock), the weekend is today
    assert facets["date"] == {"today": 1, "tomorrow": 1, "this_weekend": 1, "next_7_days": 3}

    async def found(**params: Any) -> list[str]:
        r = await api.get("/api/v1/search/events", params=params)
        assert r.status_code == 200, r.text
        return sorted(i["title"] for i in r.json()["items"])

    assert await found(category="concert") == ["Free jazz", "Paid rock"]
    assert await found(tags="music,jazz") == ["Free jazz"]
    assert await found(city="moscow") == ["Paid rock"]
    assert await found(price="free") == ["Free jazz", "Online quiz"]
    assert await found(online="true") == ["Online quiz"]
    assert await found(when="tomorrow", tz="Europe/Moscow") == ["Paid rock"]
    assert await found(when="today", tz="America/New_York") == ["Free jazz"]  # Saturday evening there
    assert await found(when="this_weekend", tz="America/New_York") == ["Free jazz", "Paid rock"]
    assert await found(near=f"{MOSCOW[0]},{MOSCOW[1]}", radius_km=5) == ["Paid rock"]
    # the last seat taken: "has seats left" follows (through the outbox)
    await participation.join((await make_user()).id, rock.id)
    await indexed()
    assert await found(has_seats="false") == ["Paid rock"]
    assert await found(has_seats="true") == ["Free jazz", "Online quiz"]
    r = await api.get("/api/v1/search/events", params={"facets": "seats"})
    assert {f["value"]: f["count"] for f in r.json()["facets"]["seats"]} == {"available": 2, "full": 1}


async def test_sorts_distance_rating_and_pages(search_api: Any, event: Any, make_venue: Any) -> None:
    api = await search_api()
    near, far = await make_venue("Berlin", BERLIN), await make_venue("Potsdam", (52.39, 13.06))
    await event("Far meetup", days=1, venue=far)
    await event("Near meetup", days=2, venue=near)
    await event("Online meetup", days=3)
    await indexed()
    r = await api.get("/api/v1/search/events", params={"near": f"{BERLIN[0]},{BERLIN[1]}", "radius_km": 50,
                                                        "sort": "distance"})
    assert [i["title"] for i in r.json()["items"]] == ["Near meetup", "Far meetup"]
    assert r.json()["items"][0]["distance_km"] < 1 < r.json()["items"][1]["distance_km"]
    # by date, two per page: the cursor carries on, and fits this query only
    r = await api.get("/api/v1/search/events", params={"q": "meetup", "sort": "date", "limit": 2})
    page1 = r.json()
    assert [i["title"] for i in page1["items"]] == ["Far meetup", "Near meetup"] and page1["found"] == 3
    r = await api.get("/api/v1/search/events", params={"q": "meetup", "sort": "date", "limit": 2,
                                                        "cursor": page1["next_cursor"]})
    assert [i["title"] for i in r.json()["items"]] == ["Online meetup"] and r.json()["next_cursor"] is None
    r = await api.get("/api/v1/search/events", params={"q": "other", "sort": "date", "cursor": page1["next_cursor"]})
    assert r.status_code == 400 and r.json()["code"] == "invalid_cursor"
    r = await api.get("/api/v1/search/events", params={"sort": "rating"})
    assert r.status_code == 200 and len(r.json()["items"]) == 3


async def test_bad_input(search_api: Any, event: Any) -> None:
    api = await search_api()
    await event("Quiz night", tags=["quiz"])
    await indexed()
    url = "/api/v1/search/events"
    r = await api.get(url, params={"q": "x" * 10_000})
    assert r.status_code == 400 and r.json()["code"] == "query_too_long"
    assert r.json()["errors"][0]["parameter"] == "q"
    r = await api.get(url, params={"q": "!!! ... ??? :* & | ()"})  # only punctuation: no words, so every event
    assert r.status_code == 200 and r.json()["found"] == 1
    r = await api.get(url, params={"q": "quiz:* & !( | <->"})  # tsquery syntax is just punctuation too
    assert r.status_code == 200 and [i["title"] for i in r.json()["items"]] == ["Quiz night"]
    r = await api.get(url, params={"category": "x && price:>0"})  # Typesense filter syntax through a parameter
    assert r.status_code == 400 and r.json()["code"] == "invalid_category"
    r = await api.get(url, params={"city": "Berlin` || online:=true"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_city"
    r = await api.get(url, params={"facets": "category,secret"})
    assert r.status_code == 400 and r.json()["code"] == "unknown_facet"
    r = await api.get(url, params={"sort": "distance"})
    assert r.status_code == 400 and r.json()["code"] == "near_required"
    r = await api.get(url, params={"tz": "Mars/Olympus"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_timezone"
    r = await api.get(url, params={"near": "95,10"})
    assert r.status_code == 400 and r.json()["code"] == "coordinates_out_of_range"
    r = await api.get(url, params={"cursor": encode_cursor(20, scope="events.feed")})
    assert r.status_code == 400 and r.json()["code"] == "invalid_cursor"
    r = await api.get(url, params={"unknown": "1"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_parameter"


async def test_only_public_published_upcoming_events_are_found(search_api: Any, event: Any, clock: Any) -> None:
    from plugins.events import api as events

    api = await search_api()
    gone = await event("Cancelled salsa")
    await event("Secret salsa", visibility="link")  # link-only (and members-only) events are never indexed
    kept = await event("Open salsa")
    await indexed()
    await events.cancel(gone.id, gone.author_id, "rain")
    await indexed()
    r = await api.get("/api/v1/search/events", params={"q": "salsa"})
    assert [i["id"] for i in r.json()["items"]] == [kept.id]
    clock.freeze(kept.ends_at + timedelta(minutes=1))  # ended: not listed even before the finisher runs
    r = await api.get("/api/v1/search/events", params={"q": "salsa"})
    assert r.json()["found"] == 0


async def test_the_outbox_row_commits_or_rolls_back_with_the_change() -> None:
    from core import db

    try:
        async with db.engine().transaction():
            await indexer.enqueue("event", [41])
            raise RuntimeError("the change failed")
    except RuntimeError:
        pass
    assert await Outbox.count() == 0
    async with db.engine().transaction():
        await indexer.enqueue("event", [42])
    assert await Outbox.count() == 1
    assert (await indexed())["postgres"] == 1 and await Outbox.count() == 0
    _ = core_clock


FIJI_TZ = "Pacific/Fiji"


async def test_near_me_across_the_antimeridian(search_api: Any, event: Any, make_venue: Any) -> None:
    # (10, 179.999) and (10, -179.999) are 0.22 km apart; a longitude band of 179.97..180.03 missed the second one
    api = await search_api()
    across = await make_venue("East", (10.0, -179.999), FIJI_TZ)
    here, far = await make_venue("West", (10.0, 179.99), FIJI_TZ), await make_venue("Away", (10.0, 179.9), FIJI_TZ)
    await event("Across the line", venue=across)
    await event("This side", venue=here)
    await event("Eleven km away", venue=far)
    await indexed()
    for point, titles in (("10,179.999", ["Across the line", "This side"]), ("10,-179.9995", ["Across the line",
                                                                                              "This side"])):
        r = await api.get("/api/v1/search/events", params={"near": point, "radius_km": 3, "sort": "distance"})
        assert r.status_code == 200, r.text
        assert [i["title"] for i in r.json()["items"]] == titles, point
    r = await api.get("/api/v1/search/events", params={"near": "10,179.999", "radius_km": 3, "sort": "distance"})
    assert [round(i["distance_km"], 2) for i in r.json()["items"]] == [0.22, 0.99]
