"""plugins.events.testing's fixtures, Piccolo inside the events transaction, the feed's SQL, the typed pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.errors import Conflict
from core.pagination import MAX_LIMIT
from plugins.events import services, states
from plugins.events.store import load_event, move, transaction
from plugins.events.testing import FinishedEvent, Participant, VenueInfo
from tests.plugins.events.conftest import MOSCOW


async def test_fixtures_make_real_data(events_venue: VenueInfo, published_event: Any,
                                       confirmed_participant: Participant) -> None:
    assert (await services.get_venue(events_venue.id))["city"] == "Berlin"
    assert published_event.status == states.PUBLISHED and published_event.venue_name == events_venue.name
    from plugins.events import api

    assert await api.confirmed_participants(published_event.id) == [(confirmed_participant.user_id, 0)]
    assert [m.to_status for m in await api.event_history(published_event.id)] == [
        states.DRAFT, states.PENDING, states.PUBLISHED]


async def test_finished_event_fixture(finished_event: FinishedEvent, clock: Any) -> None:
    assert finished_event.event.status == states.FINISHED
    assert clock.now() > finished_event.event.ends_at


async def test_piccolo_writes_join_the_events_transaction(published_event: Any) -> None:
    # Given a status move made with Piccolo inside the transaction, when the transaction fails afterwards,
    with pytest.raises(Conflict):
        async with transaction():
            row = await load_event(published_event.id, lock=True)
            await move(row, states.CANCELLED, states.AUTHOR, published_event.author_id, "rain")
            assert (await load_event(published_event.id))["status"] == states.CANCELLED  # seen inside
            raise Conflict("boom")
    # then the move and its history rolled back with it.
    assert (await load_event(published_event.id))["status"] == states.PUBLISHED
    assert len(await services.history(published_event.id)) == 3


async def test_every_feed_filter_prepares(sbor_database: Any) -> None:
    """The filters feed.build adds to sql.FEED_* (the contract test prepares the statements without them)."""
    from core import db
    from plugins.events.feed import FeedQuery, build

    now = datetime.now(UTC)
    every: dict[str, Any] = {"q": "jazz", "tags": ["music"], "category": "concert", "starts_from": now, "starts_to": now
             + timedelta(days=7), "local_window": (datetime(2030, 1, 1), datetime(2030, 1, 2)), "price_max": 0}
    for fq in (FeedQuery(now=now, **every), FeedQuery(now=now, after=(now, 5), **every),
               FeedQuery(now=now, near=MOSCOW, radius_km=10, **every),
               FeedQuery(now=now, near=MOSCOW, radius_km=10, after=(1.5, 5), **every)):
        sql, args = build(fq)
        assert "/*filters*/" not in sql
        assert await db.fetch(sql, *args) == []


async def test_lists_are_typed_pages_in_openapi(api: Any) -> None:
    schema = (await api.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    ref = {p: paths[f"/api/v1/events{p}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
           for p in ("", "/mine", "/joined", "/moderation", "/{event_id}/participants")}
    for path, item in (("", "FeedItem"), ("/mine", "MyEventItem"), ("/joined", "JoinedItem"),
                       ("/moderation", "PendingItem")):
        name = ref[path]["$ref"].rsplit("/", 1)[-1]
        assert name.startswith("Page") and item in name, (path, name)
        items = schema["components"]["schemas"][name]["properties"]["items"]["items"]["$ref"]
        assert items.endswith(item)
    assert ref["/{event_id}/participants"]["$ref"].endswith("ParticipantsPage")
    feed_params = {p["name"]: p for p in paths["/api/v1/events"]["get"]["parameters"]}
    assert {"q", "tags", "from", "to", "near", "radius_km", "cursor", "limit"} <= set(feed_params)
    assert feed_params["limit"]["schema"]["maximum"] == MAX_LIMIT
    mine = {p["name"]: p for p in paths["/api/v1/events/mine"]["get"]["parameters"]}
    assert mine["limit"]["schema"]["maximum"] == 200


async def test_bad_cursors_and_limits_on_every_list(api: Any, person: Any, publish: Any) -> None:
    eid, org = await publish()
    mod = await person("moderator")
    from core.pagination import encode_cursor

    other_list = encode_cursor(5, scope="events.participants.999")
    for path, who in (("/mine", org), ("/joined", org), ("/moderation", mod), (f"/{eid}/participants", org)):
        for cursor in ("e30", "v1.abc.def", other_list):
            r = await api.get(f"/api/v1/events{path}", headers=who.headers, params={"cursor": cursor})
            assert r.status_code == 400 and r.json()["code"] == "invalid_cursor", (path, r.text)
        for limit in (0, 201):
            r = await api.get(f"/api/v1/events{path}", headers=who.headers, params={"limit": limit})
            assert r.status_code == 400 and r.json()["code"] == "invalid_parameter", (path, r.text)
