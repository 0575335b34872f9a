"""The happy path on both backends: upload, confirm, process, gallery, files served without metadata."""

from __future__ import annotations

import io
from typing import Any

import httpx
from PIL import Image


async def fetch(client: httpx.AsyncClient, url: str) -> httpx.Response:
    if url.startswith("http://127.0.0.1"):
        async with httpx.AsyncClient() as plain:
            return await plain.get(url)
    return await client.get(url)


async def test_local_photo_end_to_end(api: httpx.AsyncClient, participant: Any, published_event: Any, upload: Any,
                                      media_files: Any, run_jobs: Any) -> None:
    item = await upload(api, participant.headers, media_files.jpeg(80, 60, gps=True, orientation=6), "image/jpeg",
                        target="events.gallery", target_id=published_event.id, sizes=[32, 48])
    assert item["status"] == "processing"
    assert await run_jobs() >= 1
    r = await api.get(f"/api/v1/media/items/{item['id']}", headers=participant.headers)
    got = r.json()
    assert got["status"] == "approved", got
    assert (got["width"], got["height"]) == (60, 80)  # orientation 6 applied: portrait
    assert set(got["files"]) == {"full.jpg", "w32.webp", "w32.jpg", "w48.webp", "w48.jpg"}
    assert got["blurhash"] and got["color"].startswith("#")
    served = await fetch(api, got["files"]["full.jpg"])
    assert served.status_code == 200
    img = Image.open(io.BytesIO(served.content))
    assert img.size == (60, 80)
    assert not img.getexif() and 0x8825 not in img.getexif()
    gallery = (await api.get(f"/api/v1/media/events/{published_event.id}/gallery")).json()
    assert [i["id"] for i in gallery["items"]] == [item["id"]]
