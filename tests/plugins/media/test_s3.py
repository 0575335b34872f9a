"""The S3 backend against a real SeaweedFS: the server enforces the policy; outages during processing lose nothing."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from PIL import Image

from plugins.media import seaweed, storage
from plugins.media.tables import Item

GALLERY = "events.gallery"


async def test_photo_via_post_policy_served_without_gps(s3_api: httpx.AsyncClient, participant: Any,
                                                        published_event: Any, upload: Any, media_files: Any,
                                                        run_jobs: Any) -> None:
    photo = media_files.jpeg(90, 60, gps=True, orientation=3)
    assert 0x8825 in Image.open(io.BytesIO(photo)).getexif()  # the upload does carry GPS
    item = await upload(s3_api, participant.headers, photo, "image/jpeg", target=GALLERY,
                        target_id=published_event.id, sizes=[40])
    assert await run_jobs() == 1
    got = (await s3_api.get(f"/api/v1/media/items/{item['id']}")).json()
    assert got["status"] == "approved" and got["urls_expire_at"] is not None
    url = got["files"]["full.jpg"]
    assert "X-Amz-Signature" in url and "/pub/" in url  # a presigned GET of a content-addressed key
    async with httpx.AsyncClient() as plain:
        served = await plain.get(url)
    assert served.status_code == 200
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"  # stored with the object
    img = Image.open(io.BytesIO(served.content))
    exif = img.getexif()
    assert 0x8825 not in exif and 0x0110 not in exif and not exif  # no GPS, no camera, nothing
    assert img.getpixel((2, 2))[0] > 150  # orientation 3 (180°) applied: the dark corner moved to the bottom right
    # the upload itself is gone once processed; only the derived files remain
    row = await Item.select(Item.upload_key).where(Item.id == item["id"]).first()
    async with httpx.AsyncClient() as plain:
        r = await plain.get(f"{url.split('/pub/')[0]}/{row['upload_key']}")
    assert r.status_code in (403, 404)


async def test_an_upload_larger_than_its_policy_is_refused_by_the_server(s3_api: httpx.AsyncClient, participant: Any,
                                                                         published_event: Any,
                                                                         media_files: Any) -> None:
    data = media_files.jpeg(200, 150, pattern=20)
    r = await s3_api.post("/api/v1/media/uploads", headers=participant.headers, json={
        "content_type": "image/jpeg", "size": len(data) // 2, "target": GALLERY, "target_id": published_event.id})
    assert r.status_code == 201, r.text
    form = r.json()["upload"]
    assert form["method"] == "POST" and "policy" in form["fields"]
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert 840 < (expires - datetime.now(UTC)).total_seconds() <= 900  # upload_ttl_s: minutes, not hours
    assert ["content-length-range", 1, len(data) // 2] in policy["conditions"]
    async with httpx.AsyncClient() as s3:
        refused = await s3.post(form["url"], data=form["fields"], files={"file": ("a.jpg", data, "image/jpeg")})
        assert refused.status_code == 400 and "EntityTooLarge" in refused.text
        wrong_type = await s3.post(form["url"], data={**form["fields"], "Content-Type": "text/html"},
                                   files={"file": ("a.html", data[:100], "text/html")})
        assert wrong_type.status_code == 403
    r = await s3_api.post(f"/api/v1/media/items/{r.json()['item']['id']}/confirm", headers=participant.headers)
    assert (r.status_code, r.json()["code"]) == (409, "upload_missing")


async def wait_until(check: Any, what: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_storage_stopped_during_processing_retries_and_loses_nothing(
        s3_api: httpx.AsyncClient, participant: Any, published_event: Any, upload: Any, media_files: Any,
        run_jobs: Any, seaweedfs: seaweed.SeaweedFS, clock: Any) -> None:
    gone = await upload(s3_api, participant.headers, media_files.jpeg(80, 60, pattern=7), "image/jpeg",
                        target=GALLERY, target_id=published_event.id, sizes=[32])
    await run_jobs()
    gone_keys = [r["key"] for r in json.loads((await Item.select(Item.renditions).where(
        Item.id == gone["id"]).first())["renditions"])]
    assert (await s3_api.delete(f"/api/v1/media/items/{gone['id']}", headers=participant.headers)).status_code == 204
    item = await upload(s3_api, participant.headers, media_files.jpeg(80, 60), "image/jpeg", target=GALLERY,
                        target_id=published_event.id, sizes=[32])
    seaweedfs.crash()
    try:
        await wait_until(lambda: not seaweed.reachable(seaweedfs.endpoint), "SeaweedFS to be gone")
        assert await run_jobs(include_delayed=False) >= 2  # processing and purge ran, found no storage, sent again
        row = await Item.select(Item.status, Item.attempts).where(Item.id == item["id"]).first()
        assert row == {"status": "processing", "attempts": 1}
        purged = await Item.select(Item.purged_at).where(Item.id == gone["id"]).first()
        assert purged["purged_at"] is None
    finally:
        seaweedfs.start()
    await wait_until(lambda: seaweed.reachable(seaweedfs.endpoint), "SeaweedFS to answer")
    backend = storage.from_settings()
    assert [await backend.size(k) is not None for k in gone_keys] == [True] * len(gone_keys)  # not purged yet
    deadline = time.monotonic() + 30

    async def pending() -> bool:
        row = await Item.select(Item.status).where(Item.id == item["id"]).first()
        purged = await Item.select(Item.purged_at).where(Item.id == gone["id"]).first()
        return bool(row["status"] == "processing" or purged["purged_at"] is None)

    while await pending():
        assert time.monotonic() < deadline, "the retried jobs never finished"
        clock.advance(timedelta(seconds=300))  # each retry's delay (2 s, then 4 s…; the purge's 30 s) has passed
        await run_jobs()
    got = (await s3_api.get(f"/api/v1/media/items/{item['id']}")).json()
    assert got["status"] == "approved", got
    async with httpx.AsyncClient() as plain:
        assert (await plain.get(got["files"]["w32.webp"])).status_code == 200
    assert [await backend.size(k) for k in gone_keys] == [None] * len(gone_keys)  # the deleted item's objects went


async def test_cdn_urls_for_public_items_presigned_short_for_private(media_app: Any, seaweedfs: Any,
                                                                      participant: Any, published_event: Any,
                                                                      upload: Any, media_files: Any,
                                                                      run_jobs: Any) -> None:
    api = await media_app(**seaweedfs.settings(), cdn_base_url="https://cdn.example.org/media",
                          private_url_ttl_s=120)
    item = await upload(api, participant.headers, media_files.jpeg(), "image/jpeg", target=GALLERY,
                        target_id=published_event.id, sizes=[32])
    await run_jobs()
    got = (await api.get(f"/api/v1/media/items/{item['id']}")).json()
    assert got["urls_expire_at"] is None
    assert got["files"]["w32.webp"].startswith("https://cdn.example.org/media/pub/")
    # the same item made private (a group's members-only event): never the CDN, presigned for two minutes
    await Item.update({Item.private: True}).where(Item.id == item["id"])
    got = (await api.get(f"/api/v1/media/items/{item['id']}", headers=participant.headers)).json()
    url = got["files"]["w32.webp"]
    assert url.startswith(seaweedfs.endpoint)
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["X-Amz-Expires"] == ["120"]


def test_embedded_seaweedfs_only_for_the_s3_backend_without_an_endpoint() -> None:
    from core.hooks import hookspecs
    from core.hooks.manager import PluginsFile, activate, build, current

    def configured(settings: dict[str, Any]) -> bool:
        registry = build(PluginsFile(enabled=["events", "media"], settings={"media": settings}))
        activate(registry)  # the plugin settings the server's check reads
        (server,) = [s for plugin, s in registry.hooks.collect(hookspecs.register_embedded_servers)
                     if plugin == "media"]
        assert server.name == "seaweedfs"
        return server.configured()

    previous = current()
    try:
        assert configured({}) is True  # the local backend needs no server
        assert configured({"backend": "s3", "s3_endpoint": "https://storage.example.org"}) is True
        assert configured({"backend": "s3"}) is False  # manage.py run starts SeaweedFS and exports its settings
    finally:
        activate(previous)
