"""Filing reports through the API: who may report what, one open report per person and target, rate limits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core import clock
from core.reports import services
from plugins.events import services as events

URL = "/api/v1/reports"


async def test_a_user_reports_a_person_once_and_sees_the_report(make_client: Any, make_user: Any,
                                                                auth_headers: Any) -> None:
    api = await make_client([])
    reporter, target = await make_user(), await make_user(display_name="Spammer")
    me = await auth_headers(reporter)
    body = {"target_type": "users.user", "target_id": target.id, "reason": "spam", "text": "Sends ads to everyone"}
    first = await api.post(URL, headers=me, json=body)
    assert first.status_code == 201, first.text
    report = first.json()
    assert (report["target_type"], report["target_id"], report["reason"], report["status"]) == (
        "users.user", target.id, "spam", "open")
    # reporting it again while staff have not decided answers the same report
    again = await api.post(URL, headers=me, json={**body, "reason": "scam", "text": "again"})
    assert again.status_code == 200 and again.json()["id"] == report["id"] and again.json()["reason"] == "spam"
    mine = (await api.get("/api/v1/me/reports", headers=me)).json()
    assert [r["id"] for r in mine["items"]] == [report["id"]]
    other = await auth_headers(await make_user())
    assert (await api.get("/api/v1/me/reports", headers=other)).json()["items"] == []
    bad = await api.get("/api/v1/me/reports", headers=me, params={"cursor": "nonsense"})
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_cursor")
    paged = (await api.get("/api/v1/me/reports", headers=me, params={"limit": 1})).json()
    assert len(paged["items"]) == 1 and paged["next_cursor"] is None
    types = (await api.get(f"{URL}/types", headers=me)).json()
    assert {"name": "users.user", "label": "User"} in types


async def test_unhappy_reports_answer_stable_codes(make_client: Any, make_user: Any, auth_headers: Any) -> None:
    api = await make_client([])
    reporter = await make_user()
    me = await auth_headers(reporter)

    async def problem(body: Any, status: int, code: str, headers: Any = me) -> None:
        r = await api.post(URL, headers=headers, json=body)
        assert r.status_code == status, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == code

    await problem({"target_type": "users.user", "target_id": reporter.id, "reason": "spam"}, 409, "own_content")
    await problem({"target_type": "users.user", "target_id": 999_999, "reason": "spam"}, 404, "target_not_found")
    await problem({"target_type": "nope.thing", "target_id": 1, "reason": "spam"}, 422, "unknown_target_type")
    await problem({"target_type": "users.user", "target_id": 1, "reason": "boring"}, 422, "validation_failed")
    await problem({"target_type": "users.user", "target_id": "x", "reason": "spam"}, 422, "validation_failed")
    await problem({"target_type": "users.user", "reason": "spam"}, 422, "validation_failed")
    await problem({"target_type": "users.user", "target_id": 1, "reason": "spam", "text": "x" * 2001}, 422,
                  "validation_failed")
    await problem({"target_type": "users.user", "target_id": 2**40, "reason": "spam"}, 422, "validation_failed")
    await problem({"target_type": "users.user", "target_id": 1, "reason": "spam"}, 401, "not_authenticated", {})


async def test_a_target_the_reporter_cannot_see_is_404_like_its_own_api(make_client: Any, make_user: Any,
                                                                        auth_headers: Any) -> None:
    api = await make_client(["events"])
    author = await make_user(roles=["organiser"])
    starts = clock.now() + timedelta(days=3)
    draft = await events.create_event(events.Actor(author.id), {
        "title": "Secret draft", "description": "", "starts_at": starts, "ends_at": starts + timedelta(hours=2),
        "online_url": "https://meet.example.org/x", "timezone": "UTC"})
    me = await auth_headers(await make_user())
    own = await api.get(f"/api/v1/events/{draft}", headers=me)
    assert own.status_code == 404
    r = await api.post(URL, headers=me, json={"target_type": "events.event", "target_id": draft, "reason": "spam"})
    assert r.status_code == 404 and r.json()["code"] == "target_not_found"


async def test_reports_are_rate_limited(make_client: Any, make_user: Any, auth_headers: Any) -> None:
    api = await make_client([], settings={"reports": {"reports_per_hour": 2}})
    me = await auth_headers(await make_user())
    targets = [await make_user() for _ in range(3)]
    codes = [(await api.post(URL, headers=me, json={"target_type": "users.user", "target_id": t.id,
                                                    "reason": "other"})).status_code for t in targets]
    assert codes == [201, 201, 429]


async def test_reports_of_one_target_form_one_case_with_distinct_reporters(make_user: Any) -> None:
    target = await make_user()
    reporters = [await make_user() for _ in range(3)]
    for r in reporters:
        await services.file(r.id, "users.user", target.id, "harassment", f"from {r.id}")
    await services.file(reporters[0].id, "users.user", target.id, "spam")  # a repeat is not a second reporter
    (case,) = (await services.queue()).items
    assert case["reporters"] == 3 and case["reasons"] == "harassment x3" and case["author_id"] == target.id
    assert len(case["latest_texts"]) == 3
    decided = await services.decide(case["id"], reporters[0].id, "uphold", "warned")
    assert decided["status"] == "upheld" and decided["decided_by_id"] == reporters[0].id
    assert await services.upheld_against(target.id) == 1
    # a new report after the decision opens a new case
    _report, created = await services.file(reporters[1].id, "users.user", target.id, "spam")
    assert created and (await services.queue()).items[0]["id"] != case["id"]
