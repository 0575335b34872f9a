"""A group's cover through media (core's media_ref_checked): checked on create and edit, cleared when removed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest_asyncio

from tests.plugins.groups.conftest import GROUP_PLUGINS, GROUPS
from tests.plugins.reviews.test_media_photos import media_item


@pytest_asyncio.fixture(loop_scope="session")
async def media_api(make_client: Any, tmp_path_factory: Any) -> httpx.AsyncClient:
    """Groups with media enabled (local backend)."""
    return await make_client([*GROUP_PLUGINS, "media"],
                             settings={"media": {"local_dir": str(tmp_path_factory.mktemp("media"))}})


async def test_cover_checked_and_cleared(media_api: httpx.AsyncClient, person: Any) -> None:
    owner, other = await person(), await person()
    body = {"name": "Cover club", "description": "x", "tags": ["games"]}
    theirs = await media_item(other.id, "groups.cover", 0)
    r = await media_api.post(f"{GROUPS}/", headers=owner.headers, json={**body, "cover_ref": theirs})
    assert (r.status_code, r.json()["code"]) == (422, "media_not_allowed")
    assert r.json()["errors"][0]["pointer"] == "/cover_ref"
    r = await media_api.post(f"{GROUPS}/", headers=owner.headers, json=body)
    assert r.status_code == 201, r.text
    gid = r.json()["id"]
    # the owner uploads the cover; a plain member may not
    up = {"content_type": "image/jpeg", "size": 1000, "target": "groups.cover", "target_id": gid}
    r = await media_api.post("/api/v1/media/uploads", headers=owner.headers, json=up)
    assert r.status_code == 201, r.text
    r = await media_api.post("/api/v1/media/uploads", headers=other.headers, json=up)
    assert (r.status_code, r.json()["code"]) == (403, "not_group_admin")
    mine = await media_item(owner.id, "groups.cover", gid)
    r = await media_api.patch(f"{GROUPS}/{gid}", headers=owner.headers, json={"cover_ref": theirs})
    assert (r.status_code, r.json()["code"]) == (422, "media_not_allowed")
    r = await media_api.patch(f"{GROUPS}/{gid}", headers=owner.headers, json={"cover_ref": mine})
    assert r.status_code in (200, 204), r.text
    r = await media_api.delete(f"/api/v1/media/items/{mine.removeprefix('media:')}", headers=owner.headers)
    assert r.status_code == 204, r.text
    from plugins.groups.tables import Group

    row = await Group.select(Group.cover_ref).where(Group.id == gid).first()
    assert row is not None and row["cover_ref"] is None


async def test_without_media_a_cover_is_unavailable(api: httpx.AsyncClient, person: Any) -> None:
    owner = await person()
    r = await api.post(f"{GROUPS}/", headers=owner.headers, json={"name": "No media", "cover_ref": "media:1"})
    assert (r.status_code, r.json()["code"]) == (422, "media_unavailable")
