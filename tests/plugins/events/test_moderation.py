"""The status machine through the API: allowed moves, 409 for the rest, history, re-moderation on edit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from plugins.events import states
from tests.plugins.events.conftest import event_body, future


async def test_moves_table_refuses_everything_not_listed() -> None:
    for a in states.STATUSES:
        for b in states.STATUSES:
            allowed = states.MOVES.get((a, b), frozenset())
            for role in (states.AUTHOR, states.MODERATOR, states.SYSTEM):
                if role in allowed:
                    states.check_move(a, b, role)
                else:
                    with pytest.raises(Exception) as exc:
                        states.check_move(a, b, role)
                    assert getattr(exc.value, "status", None) == 409


async def test_full_workflow_and_history(api: Any, person: Any) -> None:
    org, mod = await person("organiser"), await person("moderator")
    eid = (await api.post("/api/v1/events", headers=org.headers, json=event_body())).json()["id"]
    # Approving a draft is not a legal move.
    r = await api.post(f"/api/v1/events/{eid}/approve", headers=mod.headers)
    assert r.status_code == 409 and r.json()["code"] == "illegal_status_move"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (await api.post(f"/api/v1/events/{eid}/submit", headers=org.headers)).status_code == 200
    r = await api.post(f"/api/v1/events/{eid}/reject", headers=mod.headers, json={"reason": " "})
    assert r.status_code == 422 and r.json()["code"] == "reason_required"
    r = await api.post(f"/api/v1/events/{eid}/reject", headers=mod.headers, json={"reason": "Add a real address"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert (await api.post(f"/api/v1/events/{eid}/submit", headers=org.headers)).json()["status"] == "pending_review"
    assert (await api.post(f"/api/v1/events/{eid}/approve", headers=mod.headers)).json()["status"] == "published"
    r = await api.post(f"/api/v1/events/{eid}/approve", headers=mod.headers)
    assert r.status_code == 409
    r = await api.post(f"/api/v1/events/{eid}/cancel", headers=org.headers, json={"reason": "Venue flooded"})
    assert r.json()["status"] == "cancelled"
    r = await api.post(f"/api/v1/events/{eid}/submit", headers=org.headers)
    assert r.status_code == 409
    history = (await api.get(f"/api/v1/events/{eid}/history", headers=org.headers)).json()
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "draft"), ("draft", "pending_review"), ("pending_review", "rejected"),
        ("rejected", "pending_review"), ("pending_review", "published"), ("published", "cancelled")]
    assert history[2]["reason"] == "Add a real address" and history[2]["actor_id"] == mod.id
    assert history[5]["actor_id"] == org.id and history[5]["reason"] == "Venue flooded"
    # Someone else may not read the history.
    other = await person()
    assert (await api.get(f"/api/v1/events/{eid}/history", headers=other.headers)).status_code == 403


async def test_moderator_cancels_anyone_but_user_cannot(api: Any, person: Any, publish: Any) -> None:
    eid, _ = await publish()
    stranger = await person("organiser")
    r = await api.post(f"/api/v1/events/{eid}/cancel", headers=stranger.headers, json={"reason": "no"})
    assert r.status_code == 403
    mod = await person("moderator")
    r = await api.post(f"/api/v1/events/{eid}/cancel", headers=mod.headers, json={"reason": "Spam"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"


async def test_editing_published_time_sends_back_to_review(api: Any, person: Any, publish: Any) -> None:
    eid, org = await publish()
    r = await api.patch(f"/api/v1/events/{eid}", headers=org.headers, json={"title": "New title"})
    assert r.status_code == 200 and r.json()["status"] == "published"  # a title is not time/place/description
    start = future(days=5)
    r = await api.patch(f"/api/v1/events/{eid}", headers=org.headers,
                        json={"starts_at": start.isoformat(), "ends_at": future(days=5, hours=2).isoformat()})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "pending_review"
    history = (await api.get(f"/api/v1/events/{eid}/history", headers=org.headers)).json()
    assert history[-1]["from_status"] == "published" and history[-1]["to_status"] == "pending_review"


async def test_remoderate_off_keeps_published(make_client: Any, person: Any) -> None:
    api = await make_client(["events"], settings={"events": {"remoderate_on_edit": False}})
    org, mod = await person("organiser"), await person("moderator")
    eid = (await api.post("/api/v1/events", headers=org.headers, json=event_body())).json()["id"]
    await api.post(f"/api/v1/events/{eid}/submit", headers=org.headers)
    await api.post(f"/api/v1/events/{eid}/approve", headers=mod.headers)
    r = await api.patch(f"/api/v1/events/{eid}", headers=org.headers, json={"description": "Changed"})
    assert r.status_code == 200 and r.json()["status"] == "published"


async def test_finisher_job_moves_ended_events(api: Any, publish: Any, clock: Any, run_jobs: Any) -> None:
    from plugins.events import api as events_api
    from plugins.events import jobs

    eid, _org = await publish()
    clock.freeze()
    clock.advance(timedelta(days=2))
    await jobs.finish_ended.enqueue()
    await run_jobs()
    assert (await events_api.get_event_info(eid)).status == "published"  # not over yet
    clock.advance(timedelta(days=2))
    await jobs.finish_ended.enqueue()
    await run_jobs()
    assert (await events_api.get_event_info(eid)).status == "finished"
    history = await events_api.event_history(eid)
    assert history[-1].to_status == "finished" and history[-1].actor_id is None
    await jobs.finish_ended.enqueue()  # idempotent: nothing more to do
    await run_jobs()
    assert len(await events_api.event_history(eid)) == len(history)


async def test_hidden_until_published(api: Any, person: Any) -> None:
    org = await person("organiser")
    eid = (await api.post("/api/v1/events", headers=org.headers, json=event_body())).json()["id"]
    assert (await api.get(f"/api/v1/events/{eid}")).status_code == 404
    other = await person()
    assert (await api.get(f"/api/v1/events/{eid}", headers=other.headers)).status_code == 404
    assert (await api.get(f"/api/v1/events/{eid}", headers=org.headers)).status_code == 200
    mod = await person("moderator")
    assert (await api.get(f"/api/v1/events/{eid}", headers=mod.headers)).status_code == 200
