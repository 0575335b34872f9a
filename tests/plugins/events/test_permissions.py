"""Permission matrix: anonymous, user, organiser, moderator, admin, for each operation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.plugins.events.conftest import event_body

ROLES = ["anonymous", "user", "organiser", "moderator", "admin"]
# operation -> roles that succeed (others get 401 anonymous / 403 signed in).
MATRIX = {
    "create_event": {"user", "organiser", "moderator", "admin"},  # any verified account, by default
    "create_venue": {"user", "organiser", "moderator", "admin"},
    "moderation_queue": {"moderator", "admin"},
    "approve": {"moderator", "admin"},
    "read_feed": set(ROLES),
    "join": {"user", "organiser", "moderator", "admin"},
}


@pytest.mark.parametrize("role", ROLES)
async def test_matrix(api: Any, person: Any, publish: Any, role: str) -> None:
    headers = {} if role == "anonymous" else (await person(*([] if role == "user" else [role]))).headers
    eid, _ = await publish()
    org = await person("organiser")
    pending = (await api.post("/api/v1/events", headers=org.headers, json=event_body())).json()["id"]
    await api.post(f"/api/v1/events/{pending}/submit", headers=org.headers)
    calls = {
        "create_event": api.post("/api/v1/events", headers=headers, json=event_body()),
        "create_venue": api.post("/api/v1/events/venues", headers=headers,
                                 json={"name": "V", "latitude": 1, "longitude": 1, "timezone": "UTC"}),
        "moderation_queue": api.get("/api/v1/events/moderation", headers=headers),
        "approve": api.post(f"/api/v1/events/{pending}/approve", headers=headers),
        "read_feed": api.get("/api/v1/events", headers=headers),
        "join": api.post(f"/api/v1/events/{eid}/join", headers=headers, json={}),
    }
    for op, call in calls.items():
        r = await call
        if role in MATRIX[op]:
            assert r.status_code < 300, (op, role, r.text)
        else:
            assert r.status_code == (401 if role == "anonymous" else 403), (op, role, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")


async def test_creating_needs_a_verified_account_or_the_organiser_role_when_required(
        api: Any, make_user: Any, auth_headers: Any, make_client: Any) -> None:
    unverified = await auth_headers(await make_user(verified=False))
    r = await api.post("/api/v1/events", headers=unverified, json=event_body())
    assert r.status_code == 403 and r.json()["code"] == "verification_required"
    strict = await make_client(["events"], settings={"events": {"require_organiser_role": True}})
    plain = await auth_headers(await make_user())
    for path, body in (("/api/v1/events", event_body()),
                       ("/api/v1/events/venues", {"name": "V", "latitude": 1, "longitude": 1, "timezone": "UTC"})):
        r = await strict.post(path, headers=plain, json=body)
        assert r.status_code == 403 and r.json()["code"] == "organiser_role_required", r.text
    caps = {p["name"]: p for p in (await strict.get("/api/v1/capabilities")).json()["plugins"]}
    assert caps["events"]["settings"]["require_organiser_role"] is True
    organiser = await auth_headers(await make_user(roles=["organiser"]))
    assert (await strict.post("/api/v1/events", headers=organiser, json=event_body())).status_code == 201
