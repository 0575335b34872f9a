"""Screening and moderation: duplicates of rejected media held, every upload held when asked, decisions, reports."""

from __future__ import annotations

import io
from typing import Any

import httpx
from PIL import Image

from core.admin import ActionContext
from plugins.media import admin as media_admin

GALLERY = "events.gallery"


async def item_of(api: httpx.AsyncClient, item_id: int, headers: dict[str, str] | None = None) -> dict[str, Any]:
    r = await api.get(f"/api/v1/media/items/{item_id}", headers=headers or {})
    return r.json()  # type: ignore[no-any-return]


async def test_duplicates_of_rejected_media_are_held(media_app: Any, participant: Any, person: Any,
                                                     published_event: Any, upload: Any, media_files: Any,
                                                     run_jobs: Any) -> None:
    api = await media_app(moderate_all=True)
    mod = await person("moderator")
    original = media_files.jpeg(120, 90, pattern=12)
    first = await upload(api, participant.headers, original, "image/jpeg",
                         target=GALLERY, target_id=published_event.id, sizes=[32])
    await run_jobs()
    assert (await item_of(api, first["id"], participant.headers))["status"] == "pending"
    r = await api.get(f"/api/v1/media/items/{first['id']}")
    assert (r.status_code, r.json()["code"]) == (404, "media_not_found")
    r = await api.post(f"/api/v1/media/items/{first['id']}/reject", headers=participant.headers, json={"reason": "x"})
    assert (r.status_code, r.json()["code"]) == (403, "permission_denied")
    r = await api.post(f"/api/v1/media/items/{first['id']}/reject", headers=mod.headers, json={"reason": "Spam"})
    assert r.status_code == 201 or r.status_code == 200, r.text
    mine = (await item_of(api, first["id"], participant.headers))
    assert (mine["status"], mine["reason"]) == ("rejected", "Spam")

    api = await media_app()  # no longer every upload: only what a screener holds
    resized = io.BytesIO()
    Image.open(io.BytesIO(original)).resize((240, 180)).save(resized, "JPEG", quality=60)
    again = await upload(api, participant.headers, resized.getvalue(), "image/jpeg",
                         target=GALLERY, target_id=published_event.id, sizes=[32])  # resized: a near duplicate
    other = await upload(api, participant.headers, media_files.jpeg(120, 90, pattern=40, color=(10, 200, 240)),
                         "image/jpeg", target=GALLERY, target_id=published_event.id, sizes=[32])
    await run_jobs()
    assert (await item_of(api, other["id"]))["status"] == "approved"
    held = await item_of(api, again["id"], mod.headers)
    assert held["status"] == "pending"
    rows, _ = await media_admin._pending(media_admin.AdminQuery(filters={}))
    assert [r["id"] for r in rows] == [again["id"]]
    assert "duplicate of rejected media" in rows[0]["hold_reason"]
    r = await api.post(f"/api/v1/media/items/{again['id']}/approve", headers=mod.headers)
    assert r.json()["status"] == "approved"
    r = await api.post(f"/api/v1/media/items/{again['id']}/approve", headers=mod.headers)
    assert (r.status_code, r.json()["code"]) == (409, "illegal_status_move")


async def test_the_admin_queue_approves_and_rejects_in_bulk(media_app: Any, participant: Any, person: Any,
                                                            published_event: Any, upload: Any, media_files: Any,
                                                            run_jobs: Any) -> None:
    api = await media_app(moderate_all=True)
    mod = await person("moderator")
    ids = [(await upload(api, participant.headers, media_files.jpeg(60, 40, pattern=i), "image/jpeg",
                         target=GALLERY, target_id=published_event.id, sizes=[32]))["id"] for i in range(3)]
    await run_jobs()
    page = await media_admin.load_queue(media_admin.AdminQuery(filters={}, limit=2))
    assert [r["id"] for r in page.items] == ids[:2] and page.next_cursor
    assert all(r["thumbnail"] and r["uploader_id"] == participant.id and r["event_id"] == published_event.id
               for r in page.items)
    page = next(p for p in media_admin.contributions() if getattr(p, "slug", "") == "queue")
    approve, reject = page.action("approve"), page.action("reject")
    assert approve and reject and approve.bulk and reject.bulk
    result = await approve.run(ActionContext(staff_id=mod.id, ids=(str(ids[0]), str(ids[1])), values={}))
    assert result and result.message == "Approved 2"
    result = await reject.run(ActionContext(staff_id=mod.id, ids=(str(ids[1]), str(ids[2])),
                                            values={"reason": "Blurry"}))
    assert result and result.message == "Rejected 2"
    statuses = [(await item_of(api, i, mod.headers))["status"] for i in ids]
    assert statuses == ["approved", "rejected", "rejected"]
    queue = next(p for p in media_admin.contributions() if getattr(p, "name", "") == "review")
    assert await queue.count() == 0


async def test_reports_send_an_item_back_to_review(make_client: Any, participant: Any, person: Any,
                                                   published_event: Any, upload: Any, media_files: Any,
                                                   run_jobs: Any, tmp_path: Any) -> None:
    api = await make_client(["events", "media"], settings={"media": {"local_dir": str(tmp_path / "media")},
                                                         "reports": {"hide_after_by_type": {"media.item": 2}}})
    item = await upload(api, participant.headers, media_files.jpeg(), "image/jpeg", target=GALLERY,
                        target_id=published_event.id, sizes=[32])
    await run_jobs()
    a, b = await person(), await person()
    url = f"/api/v1/media/items/{item['id']}/reports"
    assert (await api.post(url, headers=a.headers, json={"reason": "privacy", "note": "that is me"})).status_code == 201
    r = await api.post(url, headers=a.headers, json={"reason": "spam"})
    assert (r.status_code, r.json()["code"]) == (409, "already_exists")
    r = await api.post(url, headers=a.headers, json={"reason": "ugly"})
    assert r.status_code == 422
    assert (await api.post(url, headers=b.headers, json={"reason": "nudity"})).status_code == 201
    r = await api.get(f"/api/v1/media/items/{item['id']}", headers=a.headers)
    assert (r.status_code, r.json()["code"]) == (404, "media_not_found")  # out of the galleries, back to review
    mine = await item_of(api, item["id"], participant.headers)
    assert mine["status"] == "pending"
    # the platform's report queue holds one case: the reporters, the reasons of old at the head of the texts
    from core.reports import services as reports

    (case,) = (await reports.queue()).items
    assert (case["target_type"], case["reporters"], case["hidden"]) == ("media.item", 2, True)
    assert case["latest_texts"] == ["nudity", "privacy: that is me"] and case["reasons"] == "nudity, other"
    moderator = await person("moderator")
    await reports.decide(case["id"], moderator.id, "dismiss")  # the reports are not upheld: back in the gallery
    assert (await api.get(f"/api/v1/media/items/{item['id']}", headers=a.headers)).status_code == 200


async def test_the_admin_panel_shows_the_grid_and_runs_the_bulk_action(admin_client: Any, participant: Any,
                                                                      published_event: Any, upload: Any,
                                                                      media_files: Any, run_jobs: Any,
                                                                      tmp_path: Any) -> None:
    settings = {"media": {"local_dir": str(tmp_path / "media"), "moderate_all": True}}
    panel = await admin_client(roles=["admin"], plugins=["events", "media"], settings=settings)
    ids = [(await upload(panel, participant.headers, media_files.jpeg(pattern=i), "image/jpeg",
                         target=GALLERY, target_id=published_event.id, sizes=[32]))["id"] for i in range(2)]
    await run_jobs()
    page = await panel.get("/admin/p/media/queue")
    assert page.status_code == 200, page.text
    assert page.text.count('class="media-card"') == 2 and "/media/files/pub/" in page.text
    r = await panel.post("/admin/p/media/queue/actions/approve",
                         data={"_csrf": panel.csrf, "id": [str(i) for i in ids], "back": "/admin/p/media/queue",
                               "confirmed": "1"})
    assert r.status_code in (200, 303), r.text
    statuses = {row["status"] for row in (await panel.get("/api/v1/media/mine", headers=participant.headers)).json()[
        "items"]}
    assert statuses == {"approved"}
