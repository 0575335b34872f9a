"""Screenshots through the real media plugin: one's own upload to a ticket, judged by the type media found."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest_asyncio

from tests.plugins.support.conftest import PLUGINS

T = "/api/v1/support/tickets"


async def media_item(uploader_id: int, kind: str, mime: str, target: str = "support.ticket") -> str:
    """An item straight in media's table, as processing leaves it (processing is media's own tests' business)."""
    from plugins.media.tables import Item

    rows = await Item.insert(Item(uploader=uploader_id, kind=kind, status="approved", target=target, target_id=None,
                                  declared_type="image/png", declared_bytes=100, mime=mime,
                                  upload_key=f"test/{uuid.uuid4().hex}")).returning(Item.id)
    return f"media:{rows[0]['id']}"


@pytest_asyncio.fixture(loop_scope="session")
async def media_api(make_client: Any, roles: None, tmp_path_factory: Any) -> httpx.AsyncClient:
    """Support with media enabled (local backend)."""
    return await make_client([*PLUGINS, "media"],
                             settings={"media": {"local_dir": str(tmp_path_factory.mktemp("media"))}})


async def test_a_video_sent_as_a_png_is_refused_by_what_media_found(media_api: httpx.AsyncClient,
                                                                       person: Any) -> None:
    ada, bob = await person(), await person()
    shot = await media_item(ada.id, "photo", "image/png")
    video = await media_item(ada.id, "video", "video/mp4")  # declared image/png when it was uploaded
    theirs = await media_item(bob.id, "photo", "image/png")
    cover = await media_item(ada.id, "photo", "image/png", target="groups.cover")

    async def open_with(ref: str) -> httpx.Response:
        return await media_api.post(T, headers=ada.headers, json={
            "category": "bug", "subject": "s", "body": "b", "attachments": [{"media_id": ref,
                                                                            "content_type": "image/png"}]})

    r = await open_with(video)
    assert (r.status_code, r.json()["code"]) == (422, "attachment_not_image")
    assert "video/mp4" in r.json()["errors"][0]["detail"]
    for ref in (theirs, cover, "media:999999999"):
        r = await open_with(ref)
        assert (r.status_code, r.json()["code"]) == (422, "attachment_not_found"), ref
    r = await open_with(shot)
    assert r.status_code == 201, r.text
    shown = (await media_api.get(f"{T}/{r.json()['id']}/messages", headers=ada.headers)).json()["items"][0]
    assert shown["attachments"] == [{"media_id": shot, "content_type": "image/png", "verified": True}]
