"""The Typesense backend on a real server: the same API with typos, facets and geo; outages delay, never lose."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from plugins.search import admin, reindex
from plugins.search import embedded as ts_server
from plugins.search.backends import registry
from plugins.search.tables import Outbox
from tests.plugins.search.conftest import BERLIN, MOSCOW, indexed


async def test_the_same_api_with_typos_facets_geo_and_synonyms(typesense: Any, search_api: Any, event: Any,
                                                              make_venue: Any) -> None:
    api = await search_api(backend="typesense", collection=typesense.settings.collection)
    berlin, moscow = await make_venue("Berlin", BERLIN), await make_venue("Moscow", MOSCOW, "Europe/Moscow")
    await event("Концерты джаза в парке", venue=moscow, tags=["music"], category="concert", price_cents=0)
    await event("Film night: classics", venue=berlin, tags=["film"], price_cents=900)
    await event("Board games night", tags=["games"], category="games")
    await admin.save_synonyms(None, None, {"words": "кино, film"})
    assert (await indexed())["typesense"] >= 3

    async def search(**params: Any) -> dict[str, Any]:
        r = await api.get("/api/v1/search/events", params=params)
        assert r.status_code == 200, r.text
        assert r.headers["search-backend"] == "typesense" and "search-fallback" not in r.headers
        return r.json()  # type: ignore[no-any-return]

    assert [i["title"] for i in (await search(q="концрт"))["items"]] == ["Концерты джаза в парке"]  # a typo
    assert [i["title"] for i in (await search(q="bord gam"))["items"]] == ["Board games night"]  # typo + prefix
    assert [i["title"] for i in (await search(q="концертов"))["items"]] == ["Концерты джаза в парке"]  # stems
    assert (await search(q="кино"))["items"][0]["title"] == "Film night: classics"  # synonyms (then typos)
    body = await search(facets="category,city,price,online,date", tz="Europe/Berlin")
    facets = {k: {f["value"]: f["count"] for f in v} for k, v in body["facets"].items()}
    assert body["found"] == 3
    assert facets["category"] == {"concert": 1, "games": 1}
    assert facets["city"] == {"Berlin": 1, "Moscow": 1}
    assert facets["price"] == {"free": 1, "paid": 1}
    assert facets["online"] == {"online": 1, "in_person": 2}
    assert facets["date"]["next_7_days"] == 3
    near = await search(near=f"{BERLIN[0]},{BERLIN[1]}", radius_km=20)
    assert [i["title"] for i in near["items"]] == ["Film night: classics"] and near["items"][0]["distance_km"] < 1
    r = await api.get("/api/v1/search/events", params={"city": "Berlin`) || (online:=true"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_city"
    caps = (await api.get("/api/v1/search/capabilities")).json()
    assert caps["backend"] == "typesense" and caps["typo_tolerance"] and caps["facet_counts"]
    core_caps = (await api.get("/api/v1/capabilities")).json()  # the app's first call names the backend too
    (search_caps,) = [p for p in core_caps["plugins"] if p["name"] == "search"]
    assert search_caps["settings"] == {"backend": "typesense", "fallback": True}
    assert search_caps["features"] == caps  # what the backend can do, in the call the app makes first


async def test_reindex_builds_a_new_collection_and_swaps_the_alias(typesense: Any, event: Any) -> None:
    await event("Salsa lesson")
    await indexed()
    before = await typesense.live_collection("events")
    seen: list[int] = []
    report = await reindex.reindex("typesense", seen.append)
    assert report.events == 1 and report.replaced == before and sum(seen) == 1
    assert await typesense.live_collection("events") == report.collection != before
    assert (await reindex.check(sample=10)).ok
    # a document lost from the index is what the check finds
    (only,) = await typesense.event_ids(list(range(1, 100)))
    await typesense.put_events([], [only])
    report2 = await reindex.check(sample=10)
    assert not report2.ok and report2.missing["typesense"] == [only] and report2.indexed["typesense"] == 0


async def test_an_outage_delays_the_index_and_search_falls_back(tmp_path: Path, search_api: Any, use_search: Any,
                                                               event: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a Typesense server of this test's own (the session's keeps running for the others)
    running = ts_server.start(tmp_path)
    for key, value in running.env.items():  # the environment wins over settings: point it at our server
        monkeypatch.setenv(key, value)
    settings = {"backend": "typesense", "collection": "outage", "timeout_s": 1.0}
    try:
        api = await search_api(**settings)
        await registry.typesense().ensure()
        first = await event("Tango before the outage")
        await indexed()
        r = await api.get("/api/v1/search/events", params={"q": "tango"})
        assert [i["id"] for i in r.json()["items"]] == [first.id] and r.headers["search-backend"] == "typesense"
        # When Typesense stops, a new event is still published (the write never waits for the index) …
        running.stop()
        second = await event("Tango during the outage")
        await indexed()
        waiting = await Outbox.select(Outbox.ref_id, Outbox.attempts).where(Outbox.target == "typesense")
        assert {r["ref_id"] for r in waiting} >= {second.id} and all(r["attempts"] >= 1 for r in waiting)
        # … and searches answer from PostgreSQL, saying so
        r = await api.get("/api/v1/search/events", params={"q": "tango"})
        assert r.status_code == 200 and r.headers["search-fallback"] == "postgres"
        assert {i["id"] for i in r.json()["items"]} == {first.id, second.id}
        use_search(**settings, fallback=False)  # the same app: routes read the settings made current
        r = await api.get("/api/v1/search/events", params={"q": "tango"})
        assert r.status_code == 503 and r.json()["code"] == "search_unavailable"
        # Then Typesense comes back (same data and address): the waiting changes are applied, nothing is lost
        running = ts_server.start(tmp_path)
        for key, value in running.env.items():
            monkeypatch.setenv(key, value)
        use_search(**settings)  # the restarted server's new API key (and the fallback back on)
        assert (await indexed())["typesense"] >= 1 and await Outbox.count() == 0
        assert second.id in await registry.typesense().event_ids([first.id, second.id])
        # Typesense 0.24 may drop the writes since its last snapshot when it is stopped; the check finds such a gap
        # and the reindex repairs it (a new collection, then the alias swapped)
        if not (await reindex.check(sample=10)).ok:
            await reindex.reindex("typesense", lambda n: None)
        assert (await reindex.check(sample=10)).ok
        r = await api.get("/api/v1/search/events", params={"q": "tango"})
        assert r.headers["search-backend"] == "typesense" and "search-fallback" not in r.headers
        assert {i["id"] for i in r.json()["items"]} == {first.id, second.id}
    finally:
        running.stop()
        await registry.typesense().close()


async def test_near_me_across_the_antimeridian(typesense: Any, search_api: Any, event: Any, make_venue: Any) -> None:
    # Typesense's radius filter is great-circle: a point 0.22 km away across the antimeridian is within 3 km
    api = await search_api(backend="typesense", collection=typesense.settings.collection)
    across = await make_venue("East", (10.0, -179.999), "Pacific/Fiji")
    here, far = (await make_venue("West", (10.0, 179.99), "Pacific/Fiji"),
                 await make_venue("Away", (10.0, 179.9), "Pacific/Fiji"))
    await event("Across the line", venue=across)
    await event("This side", venue=here)
    await event("Eleven km away", venue=far)
    assert (await indexed())["typesense"] >= 3
    for point in ("10,179.999", "10,-179.9995"):
        r = await api.get("/api/v1/search/events", params={"near": point, "radius_km": 3, "sort": "distance"})
        assert r.status_code == 200 and r.headers["search-backend"] == "typesense", r.text
        assert [i["title"] for i in r.json()["items"]] == ["Across the line", "This side"], point
