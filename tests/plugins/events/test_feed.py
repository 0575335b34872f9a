"""The feed: full-text (ru/en), tags, category, time windows, price, near-me with distance, cursors, ETag, plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core import db
from tests.plugins.events.conftest import MOSCOW, future


async def _venue(api: Any, who: Any, lat: float, lng: float, tz: str = "Europe/Moscow") -> int:
    r = await api.post("/api/v1/events/venues", headers=who.headers,
                       json={"name": f"V {lat}", "latitude": lat, "longitude": lng, "timezone": tz})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def _ids(api: Any, **params: Any) -> list[int]:
    r = await api.get("/api/v1/events", params=params)
    assert r.status_code == 200, r.text
    return [i["id"] for i in r.json()["items"]]


async def test_full_text_russian_and_english(api: Any, publish: Any) -> None:
    ru, _ = await publish(title="Концерт джазовой музыки", description="Живые выступления музыкантов")
    en, _ = await publish(title="Running club", description="We run along the river every morning")
    assert await _ids(api, q="джаз") == []  # a prefix is not a word
    assert await _ids(api, q="концерты") == [ru]  # russian stemming: концерты → концерт
    assert await _ids(api, q="runs") == [en]  # english stemming
    assert await _ids(api, q='"along the river"') == [en]  # websearch syntax: phrase
    assert await _ids(api, q="river -morning") == []


async def test_tags_category_price(api: Any, publish: Any) -> None:
    a, _ = await publish(tags=["music", "jazz"], category="concert", price_cents=0)
    b, _ = await publish(tags=["music"], category="concert", price_cents=150000)
    c, _ = await publish(tags=["sport"], category="meetup", price_cents=None)
    assert set(await _ids(api, tags="music")) == {a, b}
    assert await _ids(api, tags="music,jazz") == [a]
    assert await _ids(api, category="meetup") == [c]
    assert await _ids(api, free="true") == [a]
    assert set(await _ids(api, price_max=200000)) == {a, b}


async def test_when_shortcuts_use_local_wall_clock(api: Any, person: Any, publish: Any, clock: Any) -> None:
    # A past Wednesday, 10:00 UTC (in the past: access tokens are checked against real time too).
    day = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=2)
    wednesday = day - timedelta(days=(day.weekday() - 2) % 7)
    clock.freeze(wednesday)
    org = await person("organiser")
    vid = await _venue(api, org, *MOSCOW)  # UTC+3
    # Saturday 00:30 Moscow time = Friday 21:30 UTC: on the weekend where it happens.
    sat = wednesday + timedelta(days=2, hours=11, minutes=30)
    weekend, _ = await publish(author=org, venue_id=vid, online_url=None, start=sat)
    friday, _ = await publish(author=org, venue_id=vid, online_url=None, start=wednesday + timedelta(days=2, hours=8))
    today, _ = await publish(author=org, venue_id=vid, online_url=None, start=wednesday + timedelta(hours=5))
    assert await _ids(api, when="this_weekend", tz="Europe/Moscow") == [weekend]
    assert await _ids(api, when="today", tz="Europe/Moscow") == [today]
    assert set(await _ids(api, when="next_7_days")) == {weekend, friday, today}
    friday_utc = wednesday + timedelta(days=2)
    assert await _ids(api, **{"from": (friday_utc - timedelta(hours=10)).isoformat(),
                              "to": (friday_utc + timedelta(hours=10)).isoformat()}) == [friday]


async def test_near_sorted_by_distance_with_distance(api: Any, person: Any, publish: Any) -> None:
    org = await person("organiser")
    near_v = await _venue(api, org, MOSCOW[0] + 0.01, MOSCOW[1])  # ~1.1 km
    mid_v = await _venue(api, org, MOSCOW[0] + 0.05, MOSCOW[1])  # ~5.6 km
    far_v = await _venue(api, org, 59.93, 30.33)  # St Petersburg
    far, _ = await publish(author=org, venue_id=far_v, online_url=None)
    mid, _ = await publish(author=org, venue_id=mid_v, online_url=None)
    close, _ = await publish(author=org, venue_id=near_v, online_url=None)
    online, _ = await publish(author=org)
    r = await api.get("/api/v1/events", params={"near": f"{MOSCOW[0]},{MOSCOW[1]}", "radius_km": 10})
    items = r.json()["items"]
    assert [i["id"] for i in items] == [close, mid]
    assert abs(items[0]["distance_km"] - 1.11) < 0.05 and abs(items[1]["distance_km"] - 5.56) < 0.05
    assert far not in [i["id"] for i in items] and online not in [i["id"] for i in items]
    assert await _ids(api, near="59.9343,30.3351", radius_km=5) == [far]
    assert set(await _ids(api)) == {far, mid, close, online}


async def test_cursor_pages_are_stable_under_inserts(api: Any, person: Any, publish: Any) -> None:
    org = await person("organiser")
    ids = [(await publish(author=org, start=future(days=2 + i)))[0] for i in range(5)]
    r = await api.get("/api/v1/events", params={"limit": 2})
    page1 = r.json()
    assert [i["id"] for i in page1["items"]] == ids[:2] and page1["next_cursor"]
    # A new event sorting before the cursor does not shift the next page.
    await publish(author=org, start=future(days=1))
    r = await api.get("/api/v1/events", params={"limit": 2, "cursor": page1["next_cursor"]})
    page2 = r.json()
    assert [i["id"] for i in page2["items"]] == ids[2:4]
    r = await api.get("/api/v1/events", params={"limit": 2, "cursor": page2["next_cursor"]})
    assert [i["id"] for i in r.json()["items"]] == ids[4:] and r.json()["next_cursor"] is None
    # Near-me pages by (distance, id).
    vid = await _venue(api, org, *MOSCOW)
    same = [(await publish(author=org, venue_id=vid, online_url=None))[0] for _ in range(3)]
    params = {"near": f"{MOSCOW[0]},{MOSCOW[1]}", "limit": 2}
    p1 = (await api.get("/api/v1/events", params=params)).json()
    p2 = (await api.get("/api/v1/events", params={**params, "cursor": p1["next_cursor"]})).json()
    assert [i["id"] for i in p1["items"] + p2["items"]] == same and p2["next_cursor"] is None
    # A distance cursor holds for its own origin only.
    elsewhere = {"near": f"{MOSCOW[0] + 0.2},{MOSCOW[1]}", "limit": 2, "cursor": p1["next_cursor"]}
    r = await api.get("/api/v1/events", params=elsewhere)
    assert r.status_code == 400 and r.json()["code"] == "invalid_cursor"
    r = await api.get("/api/v1/events", params={"cursor": "not-a-cursor"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_cursor"


async def test_feed_and_detail_etag(api: Any, person: Any, publish: Any) -> None:
    eid, org = await publish()
    r = await api.get("/api/v1/events")
    etag = r.headers["etag"]
    r2 = await api.get("/api/v1/events", headers={"If-None-Match": etag})
    assert r2.status_code == 304 and r2.content == b""
    d = await api.get(f"/api/v1/events/{eid}")
    assert (await api.get(f"/api/v1/events/{eid}", headers={"If-None-Match": d.headers["etag"]})).status_code == 304
    await api.patch(f"/api/v1/events/{eid}", headers=org.headers, json={"title": "Renamed"})
    assert (await api.get(f"/api/v1/events/{eid}", headers={"If-None-Match": d.headers["etag"]})).status_code == 200
    assert (await api.get("/api/v1/events", headers={"If-None-Match": etag})).status_code == 200


async def test_near_query_uses_the_index(api: Any, person: Any, publish: Any) -> None:
    from plugins.events.feed import FeedQuery, build

    eid, _org = await publish()
    author = (await db.fetch("SELECT author FROM events.event WHERE id = $1", eid))[0]["author"]
    # 20 000 public events over a country so the planner has a real choice.
    await db.fetch(
        "INSERT INTO events.event (title, starts_at, ends_at, timezone, latitude, longitude, status, visibility, "
        "author, tags) SELECT 'e' || g, now() + (g % 300) * interval '1 hour', now() + (g % 300 + 2) * interval "
        "'1 hour', 'UTC', 43 + (g % 997) * 0.025, 30 + (g % 1009) * 0.1, 'published', 'public', $1, '{}' "
        "FROM generate_series(1, 20000) g", author)
    await db.fetch("VACUUM ANALYZE events.event")
    now = datetime.now(UTC)
    sql, args = build(FeedQuery(now=now, near=MOSCOW, radius_km=10, starts_from=now,
                                starts_to=now + timedelta(days=7)))
    plan = "\n".join(r["QUERY PLAN"] for r in await db.fetch("EXPLAIN " + sql, *args))
    print(plan)
    assert "event_feed_geo" in plan and "Seq Scan on event" not in plan


async def test_narrow_first_gives_the_same_pages_as_the_full_radius(publish: Any) -> None:
    from core.pagination import decode_cursor
    from plugins.events.feed import FeedQuery, build, near_scope, page

    eid, _ = await publish()
    author = (await db.fetch("SELECT author FROM events.event WHERE id = $1", eid))[0]["author"]
    # 400 events scattered up to ~12 km around the centre: dense in the middle, sparse at the edge.
    await db.fetch(
        "INSERT INTO events.event (title, starts_at, ends_at, timezone, latitude, longitude, status, visibility, "
        "author, tags) SELECT 'e' || g, now() + interval '1 day', now() + interval '2 days', 'UTC', "
        "$2 + sin(g) * 0.1 * (g % 20) / 20.0, $3 + cos(g) * 0.18 * (g % 20) / 20.0, 'published', 'public', $1, '{}' "
        "FROM generate_series(1, 400) g", author, MOSCOW[0], MOSCOW[1])
    now = datetime.now(UTC)
    cursor = None
    seen: list[int] = []
    for _ in range(30):
        fq = FeedQuery(now=now, near=MOSCOW, radius_km=10, limit=20,
                       after=decode_cursor(cursor, float, int, scope=near_scope(MOSCOW)) if cursor else None)
        got = await page(fq)
        sql, args = build(fq)
        full = (await db.fetch(sql, *args))[:20]
        assert [r.id for r in got.items] == [r["id"] for r in full]
        seen += [r.id for r in got.items]
        cursor = got.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) > 100
