"""Media's hooks: a target owned by another plugin (a plain dict answer), visibility, a screener, notifications."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from core.hooks.manager import current
from plugins.media import api as media_api
from tests.plugins.media import spy_plugin


@pytest.fixture
def spy(api: Any) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    pm = current().pm
    pm.register(spy_plugin, name="media_spy")
    spy_plugin.calls.clear()
    spy_plugin.ALLOWED.clear()
    yield spy_plugin.calls
    pm.unregister(name="media_spy")


async def test_another_plugins_target_visibility_and_notifications(api: httpx.AsyncClient, person: Any, spy: Any,
                                                                   upload: Any, media_files: Any,
                                                                   run_jobs: Any) -> None:
    owner, other = await person(), await person()
    r = await api.post("/api/v1/media/uploads", headers=owner.headers, json={
        "content_type": "image/jpeg", "size": 100, "target": "spy.photos", "target_id": 1})
    assert (r.status_code, r.json()["code"]) == (403, "spy_refused")
    spy_plugin.ALLOWED.add(owner.id)
    public = await upload(api, owner.headers, media_files.jpeg(), "image/jpeg", target="spy.photos", target_id=1,
                          sizes=[32])
    private = await upload(api, owner.headers, media_files.jpeg(pattern=3), "image/jpeg", target="spy.photos",
                           target_id=2, sizes=[32])
    await run_jobs()
    assert [(n, kw["media"].id, kw["in_tx_status"]) for n, kw in spy] == [
        ("media_approved", public["id"], "approved"), ("media_approved", private["id"], "approved")]
    assert (await api.get(f"/api/v1/media/items/{public['id']}", headers=other.headers)).status_code == 200
    assert (await api.get(f"/api/v1/media/items/{private['id']}", headers=other.headers)).status_code == 404
    assert (await media_api.resolve(f"media:{private['id']}", other.id)) is None
    urls = await media_api.resolve(f"media:{private['id']}", owner.id)
    assert urls is not None and "w32.webp" in urls.files and urls.expires_at is not None
    # ownership checks other plugins make before storing a ref
    assert (await media_api.check_ref(f"media:{public['id']}", owner.id, "spy.photos", 1)).id == public["id"]
    for ref, user, code in ((f"media:{public['id']}", other.id, "media_not_yours"),
                            ("media:999999", owner.id, "media_not_found"), ("cover.jpg", owner.id, "media_not_found")):
        with pytest.raises(Exception) as failed:
            await media_api.check_ref(ref, user)
        assert failed.value.code == code  # type: ignore[attr-defined]
    assert (await api.delete(f"/api/v1/media/items/{public['id']}", headers=owner.headers)).status_code == 204
    assert spy[-1][0] == "media_removed" and spy[-1][1]["reason"] == "deleted"


async def test_a_screener_plugin_holds_by_its_score(api: httpx.AsyncClient, participant: Any, spy: Any,
                                                    published_event: Any, upload: Any, media_files: Any,
                                                    run_jobs: Any) -> None:
    red = await upload(api, participant.headers, media_files.jpeg(color=(255, 0, 0)), "image/jpeg",
                       target="events.gallery", target_id=published_event.id, sizes=[32])
    blue = await upload(api, participant.headers, media_files.jpeg(color=(0, 0, 255)), "image/jpeg",
                        target="events.gallery", target_id=published_event.id, sizes=[32])
    await run_jobs()
    statuses = {i["id"]: i["status"] for i in (await api.get("/api/v1/media/mine",
                                                             headers=participant.headers)).json()["items"]}
    assert statuses == {red["id"]: "pending", blue["id"]: "approved"}
    assert [n for n, _ in spy] == ["media_approved"]
