"""End to end through the events plugin's HTTP API: its hooks, inside its transactions, drive notify's outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import clock, db
from tests.plugins.notify.test_delivery import deliver_due


async def _notes(kind: str, status: str | None = None) -> list[dict]:
    return await db.fetch("SELECT user_id, status, due_at, offset_min FROM notify.notification WHERE kind = $1 "
                          "AND ($2::text IS NULL OR status = $2) ORDER BY user_id, due_at", kind, status)


@pytest.fixture
async def app(make_client):
    return await make_client(["events", "notify"], settings={"notify": {"channels": ["log"]},
                                                             "events": {"remoderate_on_edit": False}})


async def test_lifecycle_through_the_events_api(app, make_user, auth_headers, run_jobs) -> None:
    organiser, moderator, guest = (await make_user(roles=["organiser"]), await make_user(roles=["moderator"]),
                                   await make_user())
    ho, hm, hg = (await auth_headers(organiser), await auth_headers(moderator), await auth_headers(guest))
    start = (clock.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    r = await app.post("/api/v1/events", headers=ho, json={
        "title": "Street food tour", "description": "Tasting our way through the old town",
        "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=3)).isoformat(),
        "online_url": "https://meet.example.org/x", "tags": ["food"], "category": "meetup"})
    assert r.status_code == 201, r.text
    event_id = r.json()["id"]
    assert (await app.post(f"/api/v1/events/{event_id}/submit", headers=ho)).status_code in (200, 201)
    assert [n["user_id"] for n in await _notes("events.submitted")] == [organiser.id]
    r = await app.post(f"/api/v1/events/{event_id}/approve", headers=hm)
    assert r.status_code in (200, 201), r.text
    assert [n["user_id"] for n in await _notes("events.published")] == [organiser.id]

    r = await app.post(f"/api/v1/events/{event_id}/join", headers=hg, json={})
    assert r.status_code in (200, 201), r.text
    assert [n["due_at"] for n in await _notes("events.reminder", "pending")] == [
        start - timedelta(hours=24), start - timedelta(hours=5), start - timedelta(hours=1)]

    later = start + timedelta(days=1, hours=2)
    r = await app.patch(f"/api/v1/events/{event_id}", headers=ho, json={
        "starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=3)).isoformat()})
    assert r.status_code == 200, r.text
    assert [n["due_at"] for n in await _notes("events.reminder", "pending")] == [
        later - timedelta(hours=24), later - timedelta(hours=5), later - timedelta(hours=1)]
    assert [n["user_id"] for n in await _notes("events.changed")] == [guest.id]

    assert (await app.post(f"/api/v1/events/{event_id}/leave", headers=hg)).status_code in (200, 204)
    assert await _notes("events.reminder", "pending") == []
    assert (await app.post(f"/api/v1/events/{event_id}/join", headers=hg, json={})).status_code in (200, 201)
    assert len(await _notes("events.reminder", "pending")) == 3

    r = await app.post(f"/api/v1/events/{event_id}/cancel", headers=ho, json={"reason": "The chef is ill"})
    assert r.status_code == 200, r.text
    assert await _notes("events.reminder", "pending") == []
    assert [n["user_id"] for n in await _notes("events.cancelled")] == [guest.id]

    await deliver_due(run_jobs)
    rows = await db.fetch("SELECT kind, status FROM notify.notification WHERE kind <> 'events.reminder' ORDER BY id")
    assert rows == [{"kind": "events.submitted", "status": "sent"}, {"kind": "events.published", "status": "sent"},
                    {"kind": "events.changed", "status": "sent"}, {"kind": "events.cancelled", "status": "sent"}]
    inbox = (await app.get("/api/v1/notify/inbox", headers=hg)).json()["items"]
    assert {i["title"] for i in inbox} == {'Cancelled: "Street food tour"', '"Street food tour" has changed'}
