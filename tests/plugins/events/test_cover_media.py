"""An event's cover through media (core's media_ref_checked) when it is enabled; stored as given without it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest_asyncio

from tests.plugins.events.conftest import event_body
from tests.plugins.reviews.test_media_photos import media_item


@pytest_asyncio.fixture(loop_scope="session")
async def media_api(make_client: Any, tmp_path_factory: Any) -> httpx.AsyncClient:
    """Events with media enabled (local backend)."""
    return await make_client(["events", "media"],
                             settings={"media": {"local_dir": str(tmp_path_factory.mktemp("media"))}})


async def test_cover_accepted_and_refused(media_api: httpx.AsyncClient, person: Any) -> None:
    author, other = await person(), await person()
    theirs = await media_item(other.id, "events.cover", 0)
    r = await media_api.post("/api/v1/events", headers=author.headers, json=event_body(cover_ref=theirs))
    assert (r.status_code, r.json()["code"]) == (422, "media_not_allowed")
    assert r.json()["errors"][0]["pointer"] == "/cover_ref"
    r = await media_api.post("/api/v1/events", headers=author.headers, json=event_body())
    assert r.status_code == 201, r.text
    eid = r.json()["id"]
    mine = await media_item(author.id, "events.cover", eid)
    r = await media_api.patch(f"/api/v1/events/{eid}", headers=author.headers, json={"cover_ref": theirs})
    assert (r.status_code, r.json()["code"]) == (422, "media_not_allowed")
    r = await media_api.patch(f"/api/v1/events/{eid}", headers=author.headers, json={"cover_ref": mine})
    assert r.status_code in (200, 204), r.text
    r = await media_api.get(f"/api/v1/events/{eid}", headers=author.headers)
    assert r.json()["cover_ref"] == mine


async def test_without_media_the_cover_is_stored_as_given(api: httpx.AsyncClient, person: Any) -> None:
    author = await person()
    r = await api.post("/api/v1/events", headers=author.headers, json=event_body(cover_ref="media:12345"))
    assert r.status_code == 201, r.text
