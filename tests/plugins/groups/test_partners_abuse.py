""""+1" abuse and bad input: blocks both ways, closed requests, caps, other people's ids, bad bodies, floods."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from core import db
from core.errors import Conflict
from tests.plugins.events.conftest import Person
from tests.plugins.groups.conftest import GROUP_PLUGINS
from tests.plugins.groups.test_partners import PAIRS, REQUESTS, matched_pair, post_request, request_id, suggestions


async def test_a_block_hides_both_ways_everywhere(api: Any, person: Any, publish: Any) -> None:
    eid, _ = await publish(capacity=10)
    a, b, c = await person(), await person(), await person()
    pid = await matched_pair(api, a, b, eid)
    r = await api.post(f"{PAIRS}/{pid}/block", headers=c.headers, json={"reason": "spam"})
    assert r.status_code == 404 and r.json()["code"] == "partner_proposal_not_found"
    r = await api.post(f"{PAIRS}/{pid}/block", headers=a.headers, json={"reason": "harassment", "details": "rude"})
    assert r.status_code == 200 and r.json()["status"] == "blocked" and r.json()["chat_open"] is False
    rows = await db.fetch("SELECT blocker, blocked, reason, details FROM groups.partner_block")
    assert [dict(r) for r in rows] == [{"blocker": a.id, "blocked": b.id, "reason": "harassment", "details": "rude"}]
    assert (await api.get(f"{PAIRS}/{pid}/messages", headers=b.headers)).status_code == 404
    # Another event: neither is ever suggested to the other, nor can they propose by id.
    other, _ = await publish(capacity=10)
    ra, rb, rc = (await request_id(api, a, other), await request_id(api, b, other),
                  await request_id(api, c, other))
    assert [s["request_id"] for s in await suggestions(api, a, ra)] == [rc]
    assert [s["request_id"] for s in await suggestions(api, b, rb)] == [rc]
    for who, mine, theirs in ((a, ra, rb), (b, rb, ra)):
        r = await api.post(f"{REQUESTS}/{mine}/proposals", headers=who.headers, json={"to_request_id": theirs})
        assert r.status_code == 404 and r.json()["code"] == "partner_request_not_found"
    # A block without a report, from a proposal not yet answered, ends it too.
    p2 = (await api.post(f"{REQUESTS}/{rc}/proposals", headers=c.headers, json={"to_request_id": ra})).json()["id"]
    r = await api.post(f"{PAIRS}/{p2}/block", headers=a.headers)
    assert r.status_code == 200 and r.json()["status"] == "blocked"
    assert [s["request_id"] for s in await suggestions(api, c, rc)] == [rb]
    assert await suggestions(api, a, ra) == []


async def test_requests_close_at_the_start(api: Any, person: Any, publish: Any, clock: Any, run_jobs: Any) -> None:
    from plugins.groups.partners import jobs, proposals, services
    from plugins.groups.partners.schemas import PartnerRequestCreate

    eid, _ = await publish(capacity=10)
    a, b, c = await person(), await person(), await person()
    ra, rb = await request_id(api, a, eid), await request_id(api, b, eid)
    pid = (await api.post(f"{REQUESTS}/{ra}/proposals", headers=a.headers, json={"to_request_id": rb})).json()["id"]
    starts = (await api.get(f"/api/v1/events/{eid}")).json()["starts_at"]
    from datetime import datetime

    clock.freeze(datetime.fromisoformat(starts) + timedelta(seconds=1))
    # Access tokens are bound to real time: after moving the clock, go through the services.
    with pytest.raises(Conflict) as exc:
        await services.create_request(c.id, PartnerRequestCreate(event_id=eid, kind="looking"))
    assert exc.value.code == "partner_requests_closed"
    assert (await services.my_requests(a.id, None, 10)).items[0].status == "closed"  # before the job ran
    with pytest.raises(Conflict) as closed:
        await services.suggestions(a.id, ra, 10)
    assert closed.value.code == "partner_request_closed"
    with pytest.raises(Conflict) as late:
        await proposals.accept(b.id, pid)
    assert late.value.code == "partner_requests_closed"
    await jobs.close_partner_requests.enqueue()
    await run_jobs()
    rows = await db.fetch("SELECT DISTINCT status FROM groups.partner_request")
    assert [r["status"] for r in rows] == ["closed"]


async def test_more_than_the_cap_even_at_once(make_client: Any, person: Any, publish: Any) -> None:
    api = await make_client(GROUP_PLUGINS, settings={"groups": {"max_open_partner_requests": 2}})
    a = await person()
    events = [(await publish(capacity=5))[0] for _ in range(4)]
    results = await asyncio.gather(*(post_request(api, a, e) for e in events))
    assert sorted(r.status_code for r in results) == [201, 201, 409, 409]
    assert {r.json()["code"] for r in results if r.status_code == 409} == {"partner_request_limit"}


async def test_other_peoples_ids_are_404(api: Any, person: Any, publish: Any) -> None:
    eid, _ = await publish(capacity=10)
    other_event, _ = await publish(capacity=10)
    a, b, c = await person(), await person(), await person()
    ra, rb = await request_id(api, a, eid), await request_id(api, b, eid)
    r_other = await request_id(api, c, other_event)
    # Proposing from someone else's request, to a request of another event, to nothing.
    r = await api.post(f"{REQUESTS}/{rb}/proposals", headers=a.headers, json={"to_request_id": ra})
    assert r.status_code == 404 and r.json()["code"] == "partner_request_not_found"
    for target in (r_other, 999_999):
        r = await api.post(f"{REQUESTS}/{ra}/proposals", headers=a.headers, json={"to_request_id": target})
        assert r.status_code == 404 and r.json()["code"] == "partner_request_not_found"
    # Someone else's pair: every move is 404.
    pid = (await api.post(f"{REQUESTS}/{ra}/proposals", headers=a.headers, json={"to_request_id": rb})).json()["id"]
    for action in ("accept", "decline", "reveal", "leave", "block", "together", "together/leave"):
        r = await api.post(f"{PAIRS}/{pid}/{action}", headers=c.headers)
        assert r.status_code == 404 and r.json()["code"] == "partner_proposal_not_found", action
    assert (await api.get(PAIRS, headers=c.headers)).json()["items"] == []
    # Events one cannot see: missing, or not published.
    org = await person("organiser")
    draft = (await api.post("/api/v1/events", headers=org.headers, json={
        "title": "Draft", "description": "Not yet", "starts_at": "2099-01-01T10:00:00+00:00",
        "ends_at": "2099-01-01T12:00:00+00:00", "online_url": "https://meet.example.org/x",
        "timezone": "UTC"})).json()["id"]
    for event_id in (draft, 999_999):
        r = await post_request(api, a, event_id)
        assert r.status_code == 404 and r.json()["code"] == "event_not_found"


async def test_bad_bodies_are_422_with_pointers(api: Any, person: Any, publish: Any) -> None:
    eid, _ = await publish(capacity=10)
    a = await person()
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({}, {"/event_id", "/kind"}),
        ({"event_id": "seven", "kind": "looking"}, {"/event_id"}),
        ({"event_id": eid, "kind": "dating"}, {"/kind"}),
        ({"event_id": eid, "kind": "looking", "note": "x" * 281}, {"/note"}),
        ({"event_id": eid, "kind": "looking", "languages": ["english!"]}, {"/languages/0"}),
        ({"event_id": eid, "kind": "looking", "age_min": 10}, {"/age_min"}),
        ({"event_id": eid, "kind": "looking", "age_min": 40, "age_max": 30}, {"/age_max"}),
        ({"event_id": eid, "kind": "group", "group_size": 1}, {"/group_size"}),
        ({"event_id": eid, "kind": "looking", "group_size": 3}, {"/group_size"}),
        ({"event_id": eid, "kind": "looking", "audience": "friends"}, {"/audience"}),
        ({"event_id": eid, "kind": "looking", "user_id": 5}, {"/user_id"}),
    ]
    for body, pointers in cases:
        r = await api.post(REQUESTS, headers=a.headers, json=body)
        assert r.status_code == 422 and r.json()["code"] == "validation_failed", (body, r.text)
        assert {e["pointer"] for e in r.json()["errors"]} == pointers, (body, r.json()["errors"])
    rid = await request_id(api, a, eid)
    for body in ({}, {"to_request_id": "x"}, {"to_request_id": 0}, {"to_request_id": 1, "extra": True}):
        r = await api.post(f"{REQUESTS}/{rid}/proposals", headers=a.headers, json=body)
        assert r.status_code == 422, body
    r = await api.post(f"{PAIRS}/1/block", headers=a.headers, json={"reason": "because"})
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/reason"
    r = await api.get(f"{PAIRS}?status=happy", headers=a.headers)
    assert r.status_code == 400 and r.json()["code"] == "invalid_parameter"
    r = await api.get(f"{REQUESTS}?cursor=bogus", headers=a.headers)
    assert r.status_code == 400 and r.json()["code"] == "invalid_cursor"
    assert (await api.post(REQUESTS, json={"event_id": eid, "kind": "looking"})).status_code == 401


async def test_every_action_is_rate_limited(make_client: Any, person: Any, publish: Any) -> None:
    api = await make_client(GROUP_PLUGINS, settings={"groups": {"partner_actions_per_minute": 3}})
    eid, _ = await publish(capacity=10)
    a = await person()
    rid = await request_id(api, a, eid)
    await suggestions(api, a, rid)
    await suggestions(api, a, rid)
    r = await api.get(f"{REQUESTS}/{rid}/suggestions", headers=a.headers)
    assert r.status_code == 429 and r.json()["code"] == "rate_limited" and "retry-after" in r.headers
    r = await api.post(f"{REQUESTS}/{rid}/withdraw", headers=a.headers)
    assert r.status_code == 429


async def test_preferences_and_audience_are_hard_filters_both_ways(
        api: Any, person: Any, publish: Any, make_user: Any, auth_headers: Any) -> None:
    eid, _ = await publish(capacity=10)
    a, b = await person(), await person()
    unverified_user = await make_user(verified=False)
    u = Person(unverified_user.id, await auth_headers(unverified_user))
    await api.patch("/api/v1/me", headers=a.headers, json={"languages": ["ru"], "birth_year": 1990})
    await api.patch("/api/v1/me", headers=b.headers, json={"languages": ["en"], "birth_year": 2000})
    await api.patch("/api/v1/me", headers=u.headers, json={"languages": ["ru", "en"], "birth_year": 1990})
    ra = await request_id(api, a, eid, verified_only=True)
    rb = await request_id(api, b, eid, languages=["en"])
    ru = await request_id(api, u, eid)
    # a wants verified people (u is not), b wants English speakers (a is not): nobody fits a.
    assert await suggestions(api, a, ra) == []
    assert [s["request_id"] for s in await suggestions(api, b, rb)] == [ru]
    assert [s["request_id"] for s in await suggestions(api, u, ru)] == [rb]  # a's preference hides a from u too
    # Age: b (born 2000) out of c's range, u and a (born 1990) inside.
    c = await person()
    await api.patch("/api/v1/me", headers=c.headers, json={"birth_year": 1985})
    from core import clock

    age_u = clock.now().year - 1990
    rc = await request_id(api, c, eid, age_min=age_u - 1, age_max=age_u + 1)
    assert {s["request_id"] for s in await suggestions(api, c, rc)} == {ru, ra}
    # Audience: a request for participants only is shown only to participants (both ways).
    d, e = await person(), await person()
    rd = await request_id(api, d, eid, audience="participants")
    re_ = await request_id(api, e, eid)
    assert rd not in [s["request_id"] for s in await suggestions(api, e, re_)]
    assert re_ not in [s["request_id"] for s in await suggestions(api, d, rd)]
    assert (await api.post(f"/api/v1/events/{eid}/join", headers=e.headers, json={"guests": 0})).status_code == 200
    assert rd in [s["request_id"] for s in await suggestions(api, e, re_)]
    assert re_ in [s["request_id"] for s in await suggestions(api, d, rd)]
