"""Bad input, each a test: wrong types, bombs, truncated files, long videos, double and foreign confirmations."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import httpx
from PIL import Image

GALLERY = "events.gallery"


async def processed(api: httpx.AsyncClient, headers: dict[str, str], item_id: int, run_jobs: Any) -> dict[str, Any]:
    await run_jobs()
    r = await api.get(f"/api/v1/media/items/{item_id}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_a_png_renamed_jpg_is_judged_by_its_bytes(api: httpx.AsyncClient, participant: Any, published_event: Any,
                                                        upload: Any, media_files: Any, run_jobs: Any) -> None:
    item = await upload(api, participant.headers, media_files.png(40, 30, alpha=True), "image/jpeg", target=GALLERY,
                        target_id=published_event.id, sizes=[32])
    got = await processed(api, participant.headers, item["id"], run_jobs)
    assert (got["status"], got["mime"]) == ("approved", "image/png")
    served = await api.get(got["files"]["full.jpg"])
    assert Image.open(io.BytesIO(served.content)).format == "JPEG"


async def test_an_html_page_sent_as_an_image_is_refused(api: httpx.AsyncClient, participant: Any,
                                                        published_event: Any, upload: Any, media_files: Any,
                                                        run_jobs: Any) -> None:
    item = await upload(api, participant.headers, media_files.html(), "image/jpeg", target=GALLERY,
                        target_id=published_event.id)
    got = await processed(api, participant.headers, item["id"], run_jobs)
    assert (got["status"], got["error_code"]) == ("failed", "unsupported_type")
    assert got["files"] == {}


async def test_a_decompression_bomb_is_an_error_not_a_crash(api: httpx.AsyncClient, participant: Any,
                                                            published_event: Any, upload: Any, media_files: Any,
                                                            run_jobs: Any) -> None:
    bomb = media_files.bomb_png(50_000, 50_000)
    assert len(bomb) < 10_000
    item = await upload(api, participant.headers, bomb, "image/png", target=GALLERY, target_id=published_event.id)
    got = await processed(api, participant.headers, item["id"], run_jobs)
    assert (got["status"], got["error_code"]) == ("failed", "image_too_large")
    assert "pixels" in got["error_detail"]


async def test_a_truncated_jpeg_is_refused(api: httpx.AsyncClient, participant: Any, published_event: Any,
                                           upload: Any, media_files: Any, run_jobs: Any) -> None:
    item = await upload(api, participant.headers, media_files.truncated_jpeg(), "image/jpeg", target=GALLERY,
                        target_id=published_event.id)
    got = await processed(api, participant.headers, item["id"], run_jobs)
    assert (got["status"], got["error_code"]) == ("failed", "corrupt_file")


async def test_a_video_over_the_duration_limit_is_refused(media_app: Any, participant: Any, published_event: Any,
                                                          upload: Any, media_files: Any, run_jobs: Any) -> None:
    api = await media_app(video_max_seconds=1.5, video_max_pixels=10_000)
    long = await upload(api, participant.headers, media_files.mp4(2.0), "video/mp4", target=GALLERY,
                        target_id=published_event.id)
    wide = await upload(api, participant.headers, media_files.mp4(0.5, size=(128, 96)), "video/mp4", target=GALLERY,
                        target_id=published_event.id)  # 12 288 pixels a frame: over the pixel limit
    got = await processed(api, participant.headers, long["id"], run_jobs)
    assert (got["status"], got["error_code"]) == ("failed", "video_too_long")
    got = await processed(api, participant.headers, wide["id"], run_jobs)
    assert (got["status"], got["error_code"]) == ("failed", "video_too_large")


async def test_a_photo_declared_as_a_video_is_refused(api: httpx.AsyncClient, participant: Any, published_event: Any,
                                                     upload: Any, media_files: Any, run_jobs: Any) -> None:
    item = await upload(api, participant.headers, media_files.jpeg(), "video/mp4", target=GALLERY,
                        target_id=published_event.id)
    got = await processed(api, participant.headers, item["id"], run_jobs)
    assert (got["status"], got["error_code"]) == ("failed", "type_mismatch")


async def test_an_upload_confirmed_twice(api: httpx.AsyncClient, participant: Any, published_event: Any, upload: Any,
                                         media_files: Any, run_jobs: Any) -> None:
    item = await upload(api, participant.headers, media_files.jpeg(), "image/jpeg", target=GALLERY,
                        target_id=published_event.id)
    r = await api.post(f"/api/v1/media/items/{item['id']}/confirm", headers=participant.headers)
    assert (r.status_code, r.json()["code"]) == (409, "already_confirmed")
    assert await run_jobs() == 1  # one job, not two


async def test_confirming_someone_elses_upload(api: httpx.AsyncClient, participant: Any, person: Any,
                                               published_event: Any, upload: Any, media_files: Any) -> None:
    item = await upload(api, participant.headers, media_files.jpeg(), "image/jpeg", target=GALLERY,
                        target_id=published_event.id, confirm=False)
    stranger = await person()
    r = await api.post(f"/api/v1/media/items/{item['id']}/confirm", headers=stranger.headers)
    assert (r.status_code, r.json()["code"]) == (404, "media_not_found")
    r = await api.get(f"/api/v1/media/items/{item['id']}", headers=stranger.headers)
    assert (r.status_code, r.json()["code"]) == (404, "media_not_found")


async def test_confirming_before_uploading(api: httpx.AsyncClient, participant: Any, published_event: Any) -> None:
    r = await api.post("/api/v1/media/uploads", headers=participant.headers, json={
        "content_type": "image/jpeg", "size": 1000, "target": GALLERY, "target_id": published_event.id})
    r = await api.post(f"/api/v1/media/items/{r.json()['item']['id']}/confirm", headers=participant.headers)
    assert (r.status_code, r.json()["code"]) == (409, "upload_missing")


async def test_local_upload_larger_than_its_token_wrong_type_forged_or_expired_token(
        api: httpx.AsyncClient, participant: Any, published_event: Any, media_files: Any, clock: Any) -> None:
    data = media_files.jpeg()
    r = await api.post("/api/v1/media/uploads", headers=participant.headers, json={
        "content_type": "image/jpeg", "size": len(data) - 1, "target": GALLERY, "target_id": published_event.id})
    form = r.json()["upload"]
    assert form["method"] == "PUT"
    r = await api.put(form["url"], content=data, headers=form["headers"])
    assert (r.status_code, r.json()["code"]) == (413, "upload_too_large")
    r = await api.put(form["url"], content=data[:100], headers={"Content-Type": "image/png"})
    assert (r.status_code, r.json()["code"]) == (415, "content_type_mismatch")
    r = await api.put(form["url"][:-3] + "AAA", content=data[:100], headers=form["headers"])
    assert (r.status_code, r.json()["code"]) == (403, "upload_token_invalid")
    r = await api.put(form["url"], content=data[:100], headers=form["headers"])
    assert r.status_code == 204
    r = await api.put(form["url"], content=data[:100], headers=form["headers"])
    assert (r.status_code, r.json()["code"]) == (409, "already_uploaded")  # never overwritten
    r = await api.post("/api/v1/media/uploads", headers=participant.headers, json={
        "content_type": "image/jpeg", "size": len(data), "target": GALLERY, "target_id": published_event.id})
    form = r.json()["upload"]
    clock.advance(timedelta(seconds=901))  # upload_ttl_s (15 min) passed: the presigned upload expired
    r = await api.put(form["url"], content=data, headers=form["headers"])
    assert (r.status_code, r.json()["code"]) == (403, "upload_token_invalid")


async def test_bad_bodies(api: httpx.AsyncClient, participant: Any, published_event: Any) -> None:
    url = "/api/v1/media/uploads"
    r = await api.post(url, headers=participant.headers, json={"content_type": "text/html", "size": "big",
                                                                 "target": "Events!", "extra": 1})
    assert r.status_code == 422
    assert {e["pointer"] for e in r.json()["errors"]} >= {"/content_type", "/size", "/target"}
    r = await api.post(url, headers=participant.headers, json={
        "content_type": "image/jpeg", "size": 10**9, "target": GALLERY, "target_id": published_event.id})
    assert (r.status_code, r.json()["code"]) == (422, "file_too_large")
    over_photo = 25 * 1024 * 1024 + 1  # limits per kind: over photo_max_bytes, under video_max_bytes
    r = await api.post(url, headers=participant.headers, json={
        "content_type": "image/jpeg", "size": over_photo, "target": GALLERY, "target_id": published_event.id})
    assert (r.status_code, r.json()["code"]) == (422, "file_too_large")
    r = await api.post(url, headers=participant.headers, json={
        "content_type": "video/mp4", "size": over_photo, "target": GALLERY, "target_id": published_event.id})
    assert r.status_code == 201, r.text
    r = await api.post(url, headers=participant.headers, json={
        "content_type": "image/jpeg", "size": 10, "target": "events.nothing", "target_id": published_event.id})
    assert (r.status_code, r.json()["code"]) == (404, "target_not_found")
    r = await api.post(url, headers=participant.headers, json={
        "content_type": "image/jpeg", "size": 10, "target": GALLERY, "target_id": 999999})
    assert (r.status_code, r.json()["code"]) == (404, "event_not_found")
    r = await api.post(url, json={"content_type": "image/jpeg", "size": 10, "target": GALLERY, "target_id": 1})
    assert r.status_code == 401
