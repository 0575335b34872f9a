"""Every hook events offers reaches a plugin implementing it, with the right arguments, inside the transaction."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from core.hooks.manager import current
from plugins.events.hookspecs import EventInfo
from tests.plugins.events import spy_plugin
from tests.plugins.events.conftest import event_body, future


@pytest.fixture
def spy(api: Any) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Register the spy plugin on the running app's plugin set."""
    pm = current().pm
    pm.register(spy_plugin, name="events_spy")
    spy_plugin.calls.clear()
    yield spy_plugin.calls
    pm.unregister(name="events_spy")


def _one(calls: list[tuple[str, dict[str, Any]]], name: str) -> dict[str, Any]:
    found = [kw for n, kw in calls if n == name]
    assert len(found) == 1, (name, [n for n, _ in calls])
    return found[0]


async def test_each_hook_is_called_with_its_arguments(api: Any, person: Any, spy: Any, clock: Any,
                                                      run_jobs: Any) -> None:
    org, mod = await person("organiser"), await person("moderator")
    eid = (await api.post("/api/v1/events", headers=org.headers, json=event_body(capacity=1))).json()["id"]
    await api.post(f"/api/v1/events/{eid}/submit", headers=org.headers)
    kw = _one(spy, "event_submitted")
    assert isinstance(kw["event"], EventInfo) and kw["event"].id == eid and kw["actor_id"] == org.id
    assert kw["event"].status == "pending_review" and kw["event"].online and kw["event"].capacity == 1
    await api.post(f"/api/v1/events/{eid}/reject", headers=mod.headers, json={"reason": "Too vague"})
    kw = _one(spy, "event_rejected")
    assert kw["moderator_id"] == mod.id and kw["reason"] == "Too vague" and kw["event"].status == "rejected"
    await api.post(f"/api/v1/events/{eid}/submit", headers=org.headers)
    await api.post(f"/api/v1/events/{eid}/approve", headers=mod.headers)
    kw = _one(spy, "event_published")
    assert kw["moderator_id"] == mod.id and kw["event"].status == "published" and kw["in_tx_status"] == "published"

    a, b = await person(), await person()
    await api.post(f"/api/v1/events/{eid}/join", headers=a.headers, json={})
    await api.post(f"/api/v1/events/{eid}/join", headers=b.headers, json={})
    joins = [kw for n, kw in spy if n == "participant_joined"]
    assert [(j["user_id"], j["guests"], j["status"]) for j in joins] == [(a.id, 0, "confirmed"),
                                                                        (b.id, 0, "waitlisted")]
    await api.post(f"/api/v1/events/{eid}/leave", headers=a.headers)
    assert _one(spy, "participant_left")["user_id"] == a.id
    kw = _one(spy, "waitlist_offer_made")
    assert kw["user_id"] == b.id and kw["seats"] == 1 and kw["expires_at"] > future(days=0)

    new_title = "Board games, again"
    await api.patch(f"/api/v1/events/{eid}", headers=org.headers, json={"title": new_title})
    kw = _one(spy, "event_changed")
    assert kw["changes"] == {"title": ("Board games night", new_title)} and kw["actor_id"] == org.id

    clock.freeze()
    clock.advance(timedelta(hours=3))
    from plugins.events import jobs

    await jobs.expire_offers.enqueue()
    await run_jobs()
    kw = _one(spy, "waitlist_offer_expired")
    assert kw["user_id"] == b.id and kw["event"].id == eid
    clock.reset()

    await api.post(f"/api/v1/events/{eid}/cancel", headers=org.headers, json={"reason": "Sick"})
    kw = _one(spy, "event_cancelled")
    assert kw["reason"] == "Sick" and kw["actor_id"] == org.id and kw["event"].status == "cancelled"


async def test_event_finished_hook(api: Any, publish: Any, spy: Any, clock: Any, run_jobs: Any) -> None:
    from plugins.events import jobs

    eid, _ = await publish()
    clock.freeze()
    clock.advance(timedelta(days=4))
    await jobs.finish_ended.enqueue()
    await run_jobs()
    kw = _one(spy, "event_finished")
    assert kw["event"].id == eid and kw["event"].status == "finished"


async def test_a_failing_hook_rolls_nothing_back_but_is_logged(api: Any, person: Any, publish: Any) -> None:
    """Notifications are robust: a plugin that raises is logged and the change still happens."""

    from core.hooks import hookimpl

    class BrokenPlugin:
        @hookimpl
        def participant_joined(self, user_id: int) -> None:
            raise RuntimeError("boom")

    eid, _ = await publish()
    pm = current().pm
    pm.register(BrokenPlugin(), name="events_broken")
    try:
        u = await person()
        r = await api.post(f"/api/v1/events/{eid}/join", headers=u.headers, json={})
        assert r.status_code == 200 and r.json()["status"] == "confirmed"
    finally:
        pm.unregister(name="events_broken")
