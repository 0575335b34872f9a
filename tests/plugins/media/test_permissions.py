"""The permission matrix (anonymous, user, uploader, organiser, moderator, admin x each operation) and local files."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from plugins.media import storage
from plugins.media.tables import Item

GALLERY = "events.gallery"


@pytest.fixture
async def world(api: httpx.AsyncClient, participant: Any, person: Any, published_event: Any, upload: Any,
                media_files: Any, run_jobs: Any, auth_headers: Any) -> dict[str, Any]:
    item = await upload(api, participant.headers, media_files.jpeg(), "image/jpeg", target=GALLERY,
                        target_id=published_event.id, sizes=[32])
    await run_jobs()
    return {"item": item["id"], "event": published_event.id, "who": {
        "anonymous": {}, "user": (await person()).headers, "uploader": participant.headers,
        "organiser": await auth_headers(published_event.author_id), "moderator": (await person("moderator")).headers,
        "admin": (await person("admin")).headers}}


MATRIX = [
    # (operation, {role: expected status})
    ("get", {"anonymous": 200, "user": 200, "uploader": 200, "organiser": 200, "moderator": 200, "admin": 200}),
    ("gallery", {"anonymous": 200, "user": 200, "uploader": 200, "organiser": 200, "moderator": 200, "admin": 200}),
    ("upload", {"anonymous": 401, "user": 403, "uploader": 201, "organiser": 201, "moderator": 403, "admin": 403}),
    ("settings", {"anonymous": 401, "user": 403, "uploader": 403, "organiser": 200, "moderator": 403, "admin": 403}),
    ("report", {"anonymous": 401, "user": 201, "uploader": 409, "organiser": 201, "moderator": 201, "admin": 201}),
    ("approve", {"anonymous": 401, "user": 403, "uploader": 403, "organiser": 403, "moderator": 409, "admin": 409}),
    ("mine", {"anonymous": 401, "user": 200, "uploader": 200, "organiser": 200, "moderator": 200, "admin": 200}),
    ("delete", {"anonymous": 401, "user": 403, "uploader": 204, "organiser": 204, "moderator": 204, "admin": 204}),
]


async def call(api: httpx.AsyncClient, op: str, world: dict[str, Any], headers: dict[str, str]) -> int:
    item, event = world["item"], world["event"]
    if op == "get":
        return (await api.get(f"/api/v1/media/items/{item}", headers=headers)).status_code
    if op == "gallery":
        return (await api.get(f"/api/v1/media/events/{event}/gallery", headers=headers)).status_code
    if op == "upload":
        return (await api.post("/api/v1/media/uploads", headers=headers, json={
            "content_type": "image/jpeg", "size": 10, "target": GALLERY, "target_id": event})).status_code
    if op == "settings":
        return (await api.put(f"/api/v1/media/events/{event}/settings", headers=headers,
                              json={"uploaders": "confirmed"})).status_code
    if op == "report":
        return (await api.post(f"/api/v1/media/items/{item}/reports", headers=headers,
                               json={"reason": "spam"})).status_code
    if op == "approve":
        return (await api.post(f"/api/v1/media/items/{item}/approve", headers=headers)).status_code
    if op == "mine":
        return (await api.get("/api/v1/media/mine", headers=headers)).status_code
    return (await api.delete(f"/api/v1/media/items/{item}", headers=headers)).status_code


@pytest.mark.parametrize(("op", "expected"), MATRIX, ids=[m[0] for m in MATRIX])
async def test_permission_matrix(api: httpx.AsyncClient, world: dict[str, Any], op: str,
                                 expected: dict[str, int]) -> None:
    got = {}
    for role, headers in world["who"].items():
        got[role] = await call(api, op, world, headers)
        if op in ("delete", "report"):  # each caller meets the item as it was (not deleted, not held by reports)
            await Item.update({Item.status: "approved", Item.deleted_at: None, Item.reports: 0}).where(
                Item.id == world["item"])
    assert got == expected


async def test_local_files_public_private_and_expired(api: httpx.AsyncClient, participant: Any,
                                                      published_event: Any, upload: Any, media_files: Any,
                                                      run_jobs: Any, clock: Any) -> None:
    item = await upload(api, participant.headers, media_files.jpeg(), "image/jpeg", target=GALLERY,
                        target_id=published_event.id, sizes=[32])
    await run_jobs()
    url = (await api.get(f"/api/v1/media/items/{item['id']}")).json()["files"]["w32.webp"]
    key, _, _token = url.removeprefix("/media/files/").partition("?t=")
    r = await api.get(f"/media/files/{key}")  # public objects: anyone, cached for a year
    assert r.status_code == 200 and r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["content-type"] == "image/webp"
    private_key = key.replace("pub/", "priv/", 1)
    assert (await api.get(f"/media/files/{private_key}")).status_code == 404  # private: only with a signed link
    assert (await api.get(f"/media/files/{private_key}?t={_token}")).status_code == 404  # a link for another key
    row = await Item.select(Item.upload_key).where(Item.id == item["id"]).first()
    assert (await api.get(f"/media/files/{row['upload_key']}")).status_code == 404
    assert (await api.get("/media/files/pub/../../etc/passwd")).status_code == 404
    backend = storage.from_settings()  # a members-only file: only through a signed link, until it expires
    assert await backend.put(private_key, b"private bytes", "image/webp")
    private_url = await backend.signed_url(private_key, 300)
    r = await api.get(private_url)
    assert (r.status_code, r.content, r.headers["cache-control"]) == (200, b"private bytes", "private, max-age=60")
    clock.advance(timedelta(seconds=301))
    assert (await api.get(private_url)).status_code == 404  # the private link expired
    clock.advance(timedelta(hours=2))  # the public item's signed link (1 h) expired too
    r = await api.get(url)
    assert r.status_code == 200  # still public: the key is content-addressed and immutable
