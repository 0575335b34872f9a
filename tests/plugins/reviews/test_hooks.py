"""The hooks reviews offers reach their implementations (inside the transaction); its own implementations notify."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from core.hooks import current
from tests.plugins.reviews import spy_plugin
from tests.plugins.reviews.conftest import write


@pytest.fixture
def spy(api: Any) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Register the spy plugin on the running app's plugin set."""
    pm = current().pm
    pm.register(spy_plugin, name="reviews_spy")
    spy_plugin.calls.clear()
    spy_plugin.refuse.clear()
    yield spy_plugin.calls
    pm.unregister(name="reviews_spy")


def _names(calls: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [n for n, _ in calls]


async def notices(kind: str) -> list[dict[str, Any]]:
    from plugins.notify.tables import Notification

    return await Notification.select(Notification.user_id, Notification.kind, Notification.status,
                                     Notification.payload, Notification.due_at).where(Notification.kind == kind)


async def test_each_notification_hook_with_its_arguments(api: Any, finished: Any, person: Any, spy: Any) -> None:
    scene = await finished(attendees=1)
    me = scene.attendees[0]
    rid = (await write(api, me, scene.event.id, rating=4)).json()["id"]
    (name, kw), = spy
    assert name == "review_published" and kw["previous"] is None and kw["in_tx"]
    assert (kw["review"].id, kw["review"].rating, kw["review"].organiser_id) == (rid, 4, scene.organiser.id)
    spy.clear()
    await api.patch(f"/api/v1/reviews/{rid}", headers=me.headers, json={"rating": 5})
    (name, kw), = spy
    assert name == "review_published" and kw["previous"].rating == 4 and kw["review"].rating == 5
    spy.clear()
    await api.post(f"/api/v1/reviews/{rid}/reply", headers=scene.organiser.headers, json={"text": "Thank you"})
    await api.patch(f"/api/v1/reviews/{rid}/reply", headers=scene.organiser.headers, json={"text": "Thanks!"})
    assert [(n, kw["reply"], kw["edited"], kw["in_tx"]) for n, kw in spy] == [
        ("review_replied", "Thank you", False, True), ("review_replied", "Thanks!", True, True)]
    spy.clear()
    mod = await person("moderator")
    await api.post(f"/api/v1/reviews/{rid}/hide", headers=mod.headers, json={"reason": "Off topic"})
    (name, kw), = spy
    assert (name, kw["review"].status, kw["review"].rating, kw["reason"], kw["actor_id"]) == (
        "review_hidden", "hidden", 5, "Off topic", mod.id)


async def test_deleting_and_holding_a_visible_review_is_hidden(api: Any, finished: Any, spy: Any) -> None:
    scene = await finished(attendees=2)
    a, b = scene.attendees
    ra = (await write(api, a, scene.event.id)).json()["id"]
    rb = (await write(api, b, scene.event.id)).json()["id"]
    spy.clear()
    await api.delete(f"/api/v1/reviews/{ra}", headers=a.headers)
    r = await api.patch(f"/api/v1/reviews/{rb}", headers=b.headers, json={"text": "ALL CAPS"})
    assert r.json()["status"] == "held"
    assert [(n, kw["review"].status) for n, kw in spy] == [("review_hidden", "deleted"), ("review_hidden", "held")]


async def test_a_screening_plugin_holds_and_a_check_in_plugin_refuses(api: Any, finished: Any, spy: Any) -> None:
    scene = await finished(attendees=2)
    a, b = scene.attendees
    spy_plugin.refuse[b.id] = "no_show"
    r = await write(api, b, scene.event.id)
    assert (r.status_code, r.json()["code"]) == (403, "no_show")
    r = await write(api, a, scene.event.id, text="WONDERFUL")
    assert r.json()["status"] == "held"
    from plugins.reviews.tables import Review

    row = await Review.select(Review.hold_reason).where(Review.id == r.json()["id"]).first()
    assert row == {"hold_reason": "shouting"}
    assert "review_published" not in _names(spy)


async def test_the_organiser_hears_of_a_review_and_the_author_of_a_reply(api: Any, finished: Any,
                                                                         person: Any) -> None:
    scene = await finished(attendees=1)
    me = scene.attendees[0]
    rid = (await write(api, me, scene.event.id, rating=4, text="Nice")).json()["id"]
    new = await notices("reviews.new_review")
    assert [(n["user_id"], json.loads(n["payload"])["review"]["rating"]) for n in new] == [(scene.organiser.id, 4)]
    await api.post(f"/api/v1/reviews/{rid}/reply", headers=scene.organiser.headers, json={"text": "Thank you"})
    assert [n["user_id"] for n in await notices("reviews.replied")] == [me.id]
    mod = await person("moderator")
    await api.post(f"/api/v1/reviews/{rid}/remove", headers=mod.headers, json={"reason": "Fake"})
    assert [n["user_id"] for n in await notices("reviews.hidden")] == [me.id]
