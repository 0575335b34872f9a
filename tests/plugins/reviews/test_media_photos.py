"""A review's photos through media (core's media_ref_checked): own approved upload taken, others refused, removal."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest_asyncio

from tests.plugins.reviews.conftest import PLUGINS, SETTINGS, write


async def media_item(uploader_id: int, target: str, target_id: int, status: str = "approved") -> str:
    """An item straight in media's table (processing is media's own tests' business); its ref."""
    from plugins.media.tables import Item

    rows = await Item.insert(Item(uploader=uploader_id, kind="photo", status=status, target=target,
                                  target_id=target_id, declared_type="image/jpeg", declared_bytes=100,
                                  upload_key=f"test/{uuid.uuid4().hex}")).returning(Item.id)
    return f"media:{rows[0]['id']}"


@pytest_asyncio.fixture(loop_scope="session")
async def media_api(make_client: Any, tmp_path_factory: Any) -> httpx.AsyncClient:
    """Reviews with media enabled (local backend)."""
    settings = {**SETTINGS, "media": {"local_dir": str(tmp_path_factory.mktemp("media"))}}
    return await make_client([*PLUGINS, "media"], settings=settings)


async def test_own_photo_taken_others_refused_removed_with_the_item(media_api: httpx.AsyncClient,
                                                                     finished: Any) -> None:
    from plugins.reviews.tables import Review

    scene = await finished(attendees=2)
    me, other, eid = scene.attendees[0], scene.attendees[1], scene.event.id
    mine = await media_item(me.id, "reviews.review", eid)
    theirs = await media_item(other.id, "reviews.review", eid)
    rejected = await media_item(me.id, "reviews.review", eid, status="rejected")
    elsewhere = await media_item(me.id, "groups.cover", 1)
    for ref in (theirs, rejected, elsewhere, "media:999999999", "https://example.org/x.jpg"):
        r = await write(media_api, me, eid, media=[ref])
        assert (r.status_code, r.json()["code"]) == (422, "media_not_allowed"), ref
        assert r.json()["errors"][0]["pointer"] == "/media/0"
    r = await write(media_api, me, eid, media=[mine, mine])
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/media"
    r = await write(media_api, me, eid, media=[mine])
    assert r.status_code == 201, r.text
    review = r.json()
    assert review["media"] == [mine]
    r = await media_api.patch(f"/api/v1/reviews/{review['id']}", headers=me.headers, json={"media": [mine, theirs]})
    assert (r.status_code, r.json()["code"]) == (422, "media_not_allowed")
    assert r.json()["errors"][0]["pointer"] == "/media/1"
    # the uploader deletes the photo: it leaves the review
    r = await media_api.delete(f"/api/v1/media/items/{mine.removeprefix('media:')}", headers=me.headers)
    assert r.status_code == 204, r.text
    row = await Review.select(Review.media_refs).where(Review.id == review["id"]).first()
    assert row is not None and row["media_refs"] == []


async def test_upload_target_only_for_attendees(media_api: httpx.AsyncClient, finished: Any) -> None:
    scene = await finished(attendees=1)
    body = {"content_type": "image/jpeg", "size": 1000, "target": "reviews.review", "target_id": scene.event.id}
    r = await media_api.post("/api/v1/media/uploads", headers=scene.attendees[0].headers, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["item"]["target"] == "reviews.review"
    r = await media_api.post("/api/v1/media/uploads", headers=scene.organiser.headers, json=body)
    assert (r.status_code, r.json()["code"]) == (403, "own_event")
    assert scene.stranger is not None
    r = await media_api.post("/api/v1/media/uploads", headers=scene.stranger.headers, json=body)
    assert (r.status_code, r.json()["code"]) == (403, "not_attended")


async def test_without_media_refs_are_unavailable(api: httpx.AsyncClient, finished: Any) -> None:
    scene = await finished(attendees=1)
    r = await write(api, scene.attendees[0], scene.event.id, media=["media:1"])
    assert (r.status_code, r.json()["code"]) == (422, "media_unavailable")
