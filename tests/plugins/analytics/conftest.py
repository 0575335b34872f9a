"""Shared helpers of the analytics tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core import clock
from plugins.events.hookspecs import EventInfo

PLUGINS = ["events", "analytics"]


def info(event_id: int, author_id: int, status: str = "published") -> EventInfo:
    """An event snapshot as the events plugin passes it to hooks."""
    start = datetime(2030, 1, 1, 18, tzinfo=UTC)
    return EventInfo(id=event_id, title=f"Event {event_id}", author_id=author_id, status=status, starts_at=start,
                     ends_at=start + timedelta(hours=2), timezone="UTC", venue_name=None, city=None, latitude=None,
                     longitude=None, online=True, capacity=None, tags=(), category=None)


def client_event(name: str = "event_viewed", event_id: int | None = None, at: datetime | None = None,
                 **props: Any) -> dict[str, Any]:
    """One client event as the app sends it."""
    out: dict[str, Any] = {"id": str(uuid.uuid4()), "name": name, "occurred_at": (at or clock.now()).isoformat()}
    if event_id is not None:
        out["event_id"] = event_id
    if props:
        out["props"] = props
    return out


@pytest.fixture
async def api(make_client: Any) -> Any:
    """A client on an app with events and analytics enabled."""
    return await make_client(PLUGINS)


async def published_event(api: Any, author_headers: dict[str, str], moderator_headers: dict[str, str],
                          capacity: int | None = None) -> int:
    """Create, submit and approve an online event through the events API; return its id."""
    start = clock.now() + timedelta(days=3)
    body: dict[str, Any] = {"title": "Jazz night", "starts_at": start.isoformat(),
                            "ends_at": (start + timedelta(hours=2)).isoformat(),
                            "online_url": "https://example.org/live", "timezone": "UTC"}
    if capacity is not None:
        body["capacity"] = capacity
    r = await api.post("/api/v1/events", json=body, headers=author_headers)
    assert r.status_code == 201, r.text
    event_id = int(r.json()["id"])
    r = await api.post(f"/api/v1/events/{event_id}/submit", headers=author_headers)
    assert r.status_code == 200, r.text
    r = await api.post(f"/api/v1/events/{event_id}/approve", headers=moderator_headers)
    assert r.status_code == 200, r.text
    return event_id
