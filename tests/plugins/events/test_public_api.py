"""plugins.events.api: what notify, analytics and the admin panel call."""

from __future__ import annotations

from typing import Any

import pytest

from core.errors import Conflict, NotFound
from plugins.events import api as events
from tests.plugins.events.conftest import event_body


async def test_public_api(api: Any, person: Any, publish: Any) -> None:
    eid, org = await publish(capacity=3, tags=["music"], category="concert")
    info = await events.get_event_info(eid)
    assert (info.id, info.status, info.tags, info.category, info.author_id) == (eid, "published", ("music",),
                                                                                 "concert", org.id)
    a, b = await person(), await person()
    await api.post(f"/api/v1/events/{eid}/join", headers=a.headers, json={"guests": 2})
    await api.post(f"/api/v1/events/{eid}/join", headers=b.headers, json={})  # waitlisted
    assert await events.confirmed_participants(eid) == [(a.id, 2)]
    assert [i.id for i in await events.upcoming_for_user(a.id)] == [eid]
    with pytest.raises(NotFound):
        await events.get_event_info(999999)

    # The moderation queue, paged, oldest submission first.
    ids = []
    for _ in range(3):
        r = await api.post("/api/v1/events", headers=org.headers, json=event_body())
        ids.append(r.json()["id"])
        await api.post(f"/api/v1/events/{ids[-1]}/submit", headers=org.headers)
    page = await events.pending_review(limit=2)
    assert [i.id for i in page.items] == ids[:2] and page.next_cursor
    page2 = await events.pending_review(limit=2, cursor=page.next_cursor)
    assert [i.id for i in page2.items] == ids[2:] and page2.next_cursor is None
    mod = await person("moderator")
    assert (await events.approve(ids[0], mod.id)).status == "published"
    assert (await events.reject(ids[1], mod.id, "Duplicate")).status == "rejected"
    with pytest.raises(Conflict):
        await events.approve(ids[1], mod.id)
    counts = await events.count_by_status()
    assert counts["published"] == 2 and counts["rejected"] == 1 and counts["pending_review"] == 1
    assert counts["draft"] == 0 and counts["cancelled"] == 0 and counts["finished"] == 0
    history = await events.event_history(ids[1])
    assert [(h.from_status, h.to_status, h.actor_id, h.reason) for h in history] == [
        (None, "draft", org.id, ""), ("draft", "pending_review", org.id, ""),
        ("pending_review", "rejected", mod.id, "Duplicate")]
    assert (await events.cancel(ids[0], mod.id, "Spam")).status == "cancelled"


async def test_participant_list_respects_privacy(api: Any, person: Any, publish: Any) -> None:
    from core import db

    eid, org = await publish()
    a, b, c, stranger = await person(), await person(), await person(), await person()
    for who, audience in ((a, "everyone"), (b, "shared"), (c, "nobody")):
        await db.fetch("UPDATE users.account SET privacy = $2::jsonb WHERE id = $1", who.id,
                       f'{{"participation": "{audience}"}}')
        await api.post(f"/api/v1/events/{eid}/join", headers=who.headers, json={})

    async def seen(headers: dict[str, str]) -> tuple[set[int], int]:
        body = (await api.get(f"/api/v1/events/{eid}/participants", headers=headers)).json()
        return {i["user_id"] for i in body["items"]}, body["hidden"]

    assert await seen(org.headers) == ({a.id, b.id, c.id}, 0)  # the organiser sees who joins
    assert await seen({}) == ({a.id}, 2)  # anonymous: only "everyone"
    assert await seen(stranger.headers) == ({a.id}, 2)  # "shared" needs a shared event
    assert await seen(a.headers) == ({a.id, b.id}, 1)  # a co-participant sees "shared", never "nobody"
    assert await seen(c.headers) == ({a.id, b.id, c.id}, 0)  # everyone sees themselves
