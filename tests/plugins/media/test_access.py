"""Who may upload, see and delete; limits per user, day and event; the galleries; tags with consent; purges."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx

from core import clock
from core.hooks import hookimpl
from core.hooks.manager import current
from plugins.events import participation
from plugins.media import storage
from plugins.media.tables import Item

GALLERY = "events.gallery"


def body(event_id: int, target: str = GALLERY, size: int = 500) -> dict[str, Any]:
    return {"content_type": "image/jpeg", "size": size, "target": target, "target_id": event_id}


async def test_the_organiser_chooses_who_may_upload(api: httpx.AsyncClient, person: Any, published_event: Any,
                                                    participant: Any, make_user: Any, auth_headers: Any) -> None:
    organiser = {"Authorization": (await auth_headers(published_event.author_id))["Authorization"]}
    stranger = await person()
    waiting = await make_user()
    url = "/api/v1/media/uploads"
    r = await api.post(url, headers=stranger.headers, json=body(published_event.id))
    assert (r.status_code, r.json()["code"]) == (403, "gallery_upload_not_allowed")
    assert (await api.post(url, headers=participant.headers, json=body(published_event.id))).status_code == 201
    assert (await api.post(url, headers=organiser, json=body(published_event.id))).status_code == 201
    settings_url = f"/api/v1/media/events/{published_event.id}/settings"
    r = await api.put(settings_url, headers=participant.headers, json={"uploaders": "organiser"})
    assert (r.status_code, r.json()["code"]) == (403, "not_organiser")
    r = await api.put(settings_url, headers=organiser, json={"uploaders": "everyone"})
    assert r.status_code == 422
    r = await api.put(settings_url, headers=organiser, json={"uploaders": "organiser"})
    assert r.json() == {"event_id": published_event.id, "uploaders": "organiser"}
    r = await api.post(url, headers=participant.headers, json=body(published_event.id))
    assert (r.status_code, r.json()["code"]) == (403, "gallery_upload_not_allowed")
    await api.put(settings_url, headers=organiser, json={"uploaders": "joined"})
    await participation.join(waiting.id, published_event.id)
    r = await api.post(url, headers=await auth_headers(waiting), json=body(published_event.id))
    assert r.status_code == 201
    assert (await api.get(settings_url)).json()["uploaders"] == "joined"
    # covers: the organiser only
    r = await api.post(url, headers=participant.headers, json=body(published_event.id, "events.cover"))
    assert (r.status_code, r.json()["code"]) == (403, "not_organiser")
    assert (await api.post(url, headers=organiser, json=body(published_event.id, "events.cover"))).status_code == 201


async def test_limits_per_day_and_per_event(media_app: Any, participant: Any, published_event: Any,
                                            clock: Any, auth_headers: Any) -> None:
    api = await media_app(per_user_per_day=2, per_user_per_event=3)
    clock.freeze()
    url = "/api/v1/media/uploads"
    for _ in range(2):
        assert (await api.post(url, headers=participant.headers, json=body(published_event.id))).status_code == 201
    r = await api.post(url, headers=participant.headers, json=body(published_event.id))
    assert (r.status_code, r.json()["code"]) == (429, "daily_upload_limit")
    assert 86_000 < int(r.headers["Retry-After"]) <= 86_401
    clock.advance(timedelta(days=1, seconds=1))
    participant.headers = await auth_headers(participant.id)  # the old access token expired meanwhile
    assert (await api.post(url, headers=participant.headers, json=body(published_event.id))).status_code == 201
    r = await api.post(url, headers=participant.headers, json=body(published_event.id))
    assert (r.status_code, r.json()["code"]) == (409, "user_event_media_limit")


async def test_galleries_visibility_cursor_and_filters(api: httpx.AsyncClient, participant: Any, person: Any,
                                                       published_event: Any, make_published_event: Any,
                                                       upload: Any, media_files: Any, run_jobs: Any,
                                                       auth_headers: Any) -> None:
    ids = [(await upload(api, participant.headers, media_files.jpeg(50, 40, pattern=i), "image/jpeg",
                         target=GALLERY, target_id=published_event.id, sizes=[32]))["id"] for i in range(3)]
    await run_jobs()
    url = f"/api/v1/media/events/{published_event.id}/gallery"
    first = (await api.get(url, params={"limit": 2})).json()
    assert [i["id"] for i in first["items"]] == ids[::-1][:2]  # newest first
    rest = (await api.get(url, params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert [i["id"] for i in rest["items"]] == ids[:1] and rest["next_cursor"] is None
    r = await api.get(url, params={"cursor": first["next_cursor"][:-2] + "xx"})
    assert (r.status_code, r.json()["code"]) == (400, "invalid_cursor")
    shared = (await api.get("/api/v1/media/gallery", params={"city": "berlin", "tag": "games"})).json()
    assert len(shared["items"]) == 3
    day = published_event.starts_at.date()
    assert len((await api.get("/api/v1/media/gallery", params={"from": str(day), "to": str(day)})).json()["items"]) == 3
    assert (await api.get("/api/v1/media/gallery", params={"city": "Paris"})).json()["items"] == []
    assert (await api.get("/api/v1/media/gallery", params={"kind": "video"})).json()["items"] == []
    r = await api.get("/api/v1/media/gallery", params={"from": "yesterday"})
    assert (r.status_code, r.json()["code"]) == (400, "invalid_parameter")
    mine = (await api.get("/api/v1/media/mine", headers=participant.headers)).json()
    assert len(mine["items"]) == 3 and all(i["status"] == "approved" for i in mine["items"])
    # a members-only event: its gallery is hidden from people outside it, and out of the shared gallery
    hidden = await make_published_event(visibility="link")
    organiser = await auth_headers(hidden.author_id)
    item = await upload(api, organiser, media_files.jpeg(), "image/jpeg", target=GALLERY, target_id=hidden.id,
                        sizes=[32])
    await run_jobs()
    stranger = await person()
    r = await api.get(f"/api/v1/media/events/{hidden.id}/gallery", headers=stranger.headers)
    assert (r.status_code, r.json()["code"]) == (404, "event_not_found")
    r = await api.get(f"/api/v1/media/items/{item['id']}", headers=stranger.headers)
    assert (r.status_code, r.json()["code"]) == (404, "media_not_found")
    assert len((await api.get("/api/v1/media/gallery")).json()["items"]) == 3


async def test_delete_by_uploader_or_organiser_and_the_purge(api: httpx.AsyncClient, participant: Any,
                                                             person: Any, published_event: Any, upload: Any,
                                                             media_files: Any, run_jobs: Any,
                                                             auth_headers: Any) -> None:
    photo = media_files.jpeg(60, 40)
    a = await upload(api, participant.headers, photo, "image/jpeg", target=GALLERY, target_id=published_event.id,
                     sizes=[32])
    b = await upload(api, participant.headers, photo, "image/jpeg", target=GALLERY, target_id=published_event.id,
                     sizes=[32])  # the same bytes: the same objects
    await run_jobs()
    rows = {r["id"]: r for r in await Item.select(Item.id, Item.renditions, Item.content_hash)}
    assert rows[a["id"]]["content_hash"] == rows[b["id"]]["content_hash"]
    backend = storage.from_settings()
    keys = [x["key"] for x in json.loads(rows[a["id"]]["renditions"])]
    stranger = await person()
    r = await api.delete(f"/api/v1/media/items/{a['id']}", headers=stranger.headers)
    assert (r.status_code, r.json()["code"]) == (403, "not_allowed_to_delete")
    assert (await api.delete(f"/api/v1/media/items/{a['id']}", headers=participant.headers)).status_code == 204
    await run_jobs()
    assert all([await backend.size(k) is not None for k in keys])  # still used by b
    organiser = await auth_headers(published_event.author_id)
    assert (await api.delete(f"/api/v1/media/items/{b['id']}", headers=organiser)).status_code == 204
    r = await api.delete(f"/api/v1/media/items/{b['id']}", headers=organiser)
    assert (r.status_code, r.json()["code"]) == (404, "media_not_found")
    await run_jobs()
    assert [await backend.size(k) for k in keys] == [None] * len(keys)
    assert (await api.get(f"/api/v1/media/events/{published_event.id}/gallery")).json()["items"] == []


async def test_people_are_shown_only_with_their_consent(api: httpx.AsyncClient, participant: Any, person: Any,
                                                        published_event: Any, upload: Any, media_files: Any,
                                                        run_jobs: Any) -> None:
    item = await upload(api, participant.headers, media_files.jpeg(), "image/jpeg", target=GALLERY,
                        target_id=published_event.id, sizes=[32])
    await run_jobs()
    friend, viewer = await person(), await person()
    url = f"/api/v1/media/items/{item['id']}/people"
    r = await api.post(url, headers=friend.headers, json={"user_id": viewer.id})
    assert (r.status_code, r.json()["code"]) == (403, "not_uploader")
    r = await api.post(url, headers=participant.headers, json={"user_id": 999_999})
    assert (r.status_code, r.json()["code"]) == (404, "user_not_found")
    r = await api.post(url, headers=participant.headers, json={"user_id": friend.id})
    assert r.status_code == 201 and r.json()["people"] == [
        {"user_id": friend.id, "display_name": r.json()["people"][0]["display_name"], "accepted": False}]
    r = await api.post(url, headers=participant.headers, json={"user_id": friend.id})
    assert (r.status_code, r.json()["code"]) == (409, "already_exists")
    assert (await api.get(f"/api/v1/media/items/{item['id']}", headers=viewer.headers)).json()["people"] == []
    r = await api.post(f"{url}/me/accept", headers=viewer.headers)
    assert (r.status_code, r.json()["code"]) == (404, "tag_not_found")
    assert (await api.post(f"{url}/me/accept", headers=friend.headers)).status_code == 204
    shown = (await api.get(f"/api/v1/media/items/{item['id']}", headers=viewer.headers)).json()["people"]
    assert [p["user_id"] for p in shown] == [friend.id] and shown[0]["accepted"]
    r = await api.delete(f"{url}/{friend.id}", headers=viewer.headers)
    assert (r.status_code, r.json()["code"]) == (404, "media_not_found")
    assert (await api.delete(f"{url}/{friend.id}", headers=friend.headers)).status_code == 204
    assert (await api.get(f"/api/v1/media/items/{item['id']}", headers=viewer.headers)).json()["people"] == []


async def test_an_events_gallery_holds_at_most_per_event(media_app: Any, participant: Any, published_event: Any,
                                                         auth_headers: Any) -> None:
    api = await media_app(per_event=2)
    organiser = await auth_headers(published_event.author_id)
    url = "/api/v1/media/uploads"
    assert (await api.post(url, headers=participant.headers, json=body(published_event.id))).status_code == 201
    assert (await api.post(url, headers=organiser, json=body(published_event.id))).status_code == 201
    r = await api.post(url, headers=organiser, json=body(published_event.id))
    assert (r.status_code, r.json()["code"], r.json()["limit"]) == (409, "event_media_limit", 2)


class DeletesWhileScreening:
    """A screener that deletes the item while the job is between writing its files and recording them."""

    @staticmethod
    @hookimpl(optionalhook=True)
    async def media_screened(media: Any) -> None:
        await Item.update({Item.status: "deleted", Item.deleted_at: clock.now()}).where(Item.id == media.id)


async def test_deleted_while_processing_leaves_no_files(api: httpx.AsyncClient, participant: Any,
                                                         published_event: Any, upload: Any, media_files: Any,
                                                         run_jobs: Any, tmp_path: Any) -> None:
    keep = await upload(api, participant.headers, media_files.jpeg(pattern=5), "image/jpeg", target=GALLERY,
                        target_id=published_event.id, sizes=[32])
    await run_jobs()
    item = await upload(api, participant.headers, media_files.jpeg(), "image/jpeg", target=GALLERY,
                        target_id=published_event.id, sizes=[32])
    pm = current().pm
    pm.register(DeletesWhileScreening, name="media_deleter")
    try:
        assert await run_jobs() == 1
    finally:
        pm.unregister(name="media_deleter")
    files = [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
    kept = (await api.get(f"/api/v1/media/items/{keep['id']}")).json()
    assert len(files) == len(kept["files"])  # only the other item's files remain
    assert (await api.get(f"/api/v1/media/items/{item['id']}", headers=participant.headers)).status_code == 404
