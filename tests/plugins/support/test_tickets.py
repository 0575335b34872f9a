"""Tickets through the API: the requester's flows, the status machine, and every "bad input and access" case."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from plugins.support import jobs
from tests.plugins.events.conftest import event_body
from tests.plugins.support.conftest import AGENT_ROLE, kinds_sent

pytestmark = pytest.mark.asyncio(loop_scope="session")
T = "/api/v1/support/tickets"
DESK = "/api/v1/support/desk/tickets"


async def test_a_user_opens_a_ticket_and_reads_it(api, person, open_ticket) -> None:
    ada = await person()
    ticket = await open_ticket(ada, category="bug", subject="The map is blank", body="Since this morning")
    assert ticket["status"] == "new" and ticket["priority"] == "normal" and ticket["agents_online"] is False
    assert ticket["expect_answer_by"] is not None and ticket["linked_to"] is None
    listed = (await api.get(T, headers=ada.headers)).json()
    assert [t["id"] for t in listed["items"]] == [ticket["id"]]
    messages = (await api.get(f"{T}/{ticket['id']}/messages", headers=ada.headers)).json()["items"]
    assert [m["body"] for m in messages] == ["Since this morning"] and messages[0]["from_agent"] is False


async def test_another_users_ticket_is_not_found(api, person, open_ticket) -> None:
    ada, bob = await person(), await person()
    ticket = await open_ticket(ada)
    tid = ticket["id"]
    for method, path, body in [("GET", f"{T}/{tid}", None), ("GET", f"{T}/{tid}/messages", None),
                               ("POST", f"{T}/{tid}/messages", {"body": "hi"}), ("POST", f"{T}/{tid}/resolve", None),
                               ("POST", f"{T}/{tid}/rating", {"score": 5}), ("POST", f"{T}/{tid}/typing", None),
                               ("GET", f"{T}/999999", None)]:
        r = await api.request(method, path, json=body, headers=bob.headers)
        assert r.status_code == 404 and r.json()["code"] == "ticket_not_found", (method, path, r.text)
    assert (await api.get(T, headers=bob.headers)).json()["items"] == []


async def test_an_internal_note_never_reaches_the_user(api, person, open_ticket) -> None:
    ada, agent = await person(), await person(AGENT_ROLE)
    ticket = await open_ticket(ada)
    r = await api.post(f"{DESK}/{ticket['id']}/messages", json={"body": "VIP, be nice", "internal": True},
                       headers=agent.headers)
    assert r.status_code == 201, r.text
    await api.post(f"{DESK}/{ticket['id']}/messages", json={"body": "Try again now"}, headers=agent.headers)
    mine = (await api.get(f"{T}/{ticket['id']}/messages", headers=ada.headers)).json()["items"]
    assert [m["body"] for m in mine] == ["Try again now", "Help, please"]
    desk = (await api.get(f"{DESK}/{ticket['id']}/messages", headers=agent.headers)).json()["items"]
    assert {"note", "agent", "user"} <= {m["kind"] for m in desk}
    export = (await api.get("/api/v1/me/export", headers=ada.headers)).json()
    assert "VIP" not in str(export)
    r = await api.post(f"{T}/{ticket['id']}/messages", json={"body": "psst", "internal": True}, headers=ada.headers)
    assert r.status_code == 422 and r.json()["code"] == "validation_failed"  # the user's API has no notes
    r = await api.post(f"{DESK}/{ticket['id']}/messages", json={"body": "psst", "internal": True}, headers=ada.headers)
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    desk = (await api.get(f"{DESK}/{ticket['id']}/messages", headers=agent.headers)).json()["items"]
    assert [m["body"] for m in desk if m["kind"] == "note"] == ["VIP, be nice"]


async def test_an_agent_without_the_permission_is_refused(api, person, open_ticket) -> None:
    ada, moderator = await person(), await person("moderator")
    ticket = await open_ticket(ada)
    for method, path, body in [("GET", f"{DESK}/{ticket['id']}/messages", None),
                               ("POST", f"{DESK}/{ticket['id']}/messages", {"body": "hello"}),
                               ("POST", "/api/v1/support/desk/heartbeat", None)]:
        r = await api.request(method, path, json=body, headers=moderator.headers)
        assert r.status_code == 403 and r.json()["code"] == "permission_denied", (path, r.text)


async def test_the_status_machine_through_a_conversation(api, person, open_ticket, run_jobs, clock) -> None:
    ada, agent = await person(), await person(AGENT_ROLE)
    tid = (await open_ticket(ada))["id"]
    await api.post(f"{DESK}/{tid}/messages", json={"body": "Which device?"}, headers=agent.headers)
    assert (await api.get(f"{T}/{tid}", headers=ada.headers)).json()["status"] == "waiting_for_user"
    r = await api.post(f"{T}/{tid}/messages", json={"body": "An iPhone"}, headers=ada.headers)
    assert r.status_code == 201 and r.json()["ticket"]["status"] == "open"
    r = await api.post(f"{T}/{tid}/rating", json={"score": 5}, headers=ada.headers)
    assert r.status_code == 409 and r.json()["code"] == "not_resolved"
    r = await api.post(f"{T}/{tid}/resolve", headers=ada.headers)
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    r = await api.post(f"{T}/{tid}/resolve", headers=ada.headers)
    assert r.status_code == 409 and r.json()["code"] == "illegal_status_move"
    r = await api.post(f"{T}/{tid}/messages", json={"body": "It broke again"}, headers=ada.headers)
    assert r.json()["ticket"]["status"] == "open" and r.json()["ticket"]["id"] == tid  # reopened, same ticket
    from plugins.support import desk

    await desk.move(tid, agent.id, "resolved")
    r = await api.post(f"{T}/{tid}/rating", json={"score": 4, "comment": "quick"}, headers=ada.headers)
    assert r.status_code == 200 and r.json()["rating"] == 4
    r = await api.post(f"{T}/{tid}/rating", json={"score": 1}, headers=ada.headers)
    assert r.status_code == 409 and r.json()["code"] == "already_rated"
    r = await api.post(f"{T}/{tid}/rating", json={"score": 6}, headers=ada.headers)
    assert r.status_code == 422
    assert "support.replied" in await kinds_sent(ada.id) and "support.resolved" in await kinds_sent(ada.id)
    clock.freeze(clock.now() + timedelta(days=8))
    assert await jobs.close_resolved() == 1
    clock.reset()  # the access token would have expired eight days on
    assert (await api.get(f"{T}/{tid}", headers=ada.headers)).json()["status"] == "closed"


async def test_replying_to_a_closed_ticket_opens_a_linked_one(api, person, open_ticket, clock) -> None:
    ada, agent = await person(), await person(AGENT_ROLE)
    old = await open_ticket(ada, category="payment", subject="Refund")
    from plugins.support import desk

    await desk.move(old["id"], agent.id, "resolved")
    await desk.move(old["id"], agent.id, "closed")
    r = await api.post(f"{DESK}/{old['id']}/messages", json={"body": "late"}, headers=agent.headers)
    assert r.status_code == 409 and r.json()["code"] == "ticket_closed"
    r = await api.post(f"{T}/{old['id']}/messages", json={"body": "Still no refund"}, headers=ada.headers)
    assert r.status_code == 201, r.text
    new = r.json()["ticket"]
    assert new["id"] != old["id"] and new["linked_to"] == old["id"] and new["status"] == "new"
    assert new["category"] == "payment" and new["subject"] == "Re: Refund"
    assert r.json()["message"]["ticket_id"] == new["id"] and r.json()["message"]["body"] == "Still no refund"
    assert (await api.get(f"{T}/{old['id']}", headers=ada.headers)).json()["status"] == "closed"


async def test_a_one_megabyte_message_is_refused(api, person, open_ticket) -> None:
    ada = await person()
    tid = (await open_ticket(ada))["id"]
    for size in (1_000_000, 20_000):  # over the server's body limit or the schema's cap; over max_message_chars
        r = await api.post(f"{T}/{tid}/messages", json={"body": "x" * size}, headers=ada.headers)
        assert r.status_code in (413, 422), r.status_code
        assert r.json()["code"] in ("payload_too_large", "validation_failed")
        if r.status_code == 422:
            assert r.json()["errors"][0]["pointer"] == "/body"
    r = await api.post(f"{T}/{tid}/messages", json={"body": "x" * (1024 * 1024 + 10)}, headers=ada.headers)
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
    r = await api.post(T, json={"category": "bug", "subject": "s", "body": "   "}, headers=ada.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/body"


async def test_an_attachment_that_is_not_an_image_is_refused(api, person, open_ticket) -> None:
    ada = await person()
    r = await api.post(T, json={"category": "bug", "subject": "Crash", "body": "See the file",
                                "attachments": [{"media_id": "m-1", "content_type": "application/pdf"}]},
                       headers=ada.headers)
    assert r.status_code == 422 and r.json()["code"] == "attachment_not_image"
    assert r.json()["errors"][0]["pointer"] == "/attachments/0"
    r = await api.post(T, json={"category": "bug", "subject": "Crash", "body": "Screenshot",
                                "attachments": [{"media_id": "m-2", "content_type": "image/png"}]},
                       headers=ada.headers)
    assert r.status_code == 201
    shown = (await api.get(f"{T}/{r.json()['id']}/messages", headers=ada.headers)).json()["items"][0]
    assert shown["attachments"] == [{"media_id": "m-2", "content_type": "image/png", "verified": False}]
    many = [{"media_id": f"m{i}", "content_type": "image/png"} for i in range(6)]
    r = await api.post(T, json={"category": "bug", "subject": "s", "body": "b", "attachments": many},
                       headers=ada.headers)
    assert r.status_code == 422 and r.json()["code"] == "too_many_attachments"


async def test_screenshots_are_checked_by_media_when_it_answers(api, person) -> None:
    """With media enabled (here a stand-in answering core's ``media_ref_checked``), only one's own upload is taken."""
    from core.hooks import hookimpl
    from core.hooks.manager import current

    asked: list[tuple[str, int]] = []

    class MediaStandIn:
        @hookimpl
        def media_ref_checked(self, ref: str, user_id: int, target: str, target_id: int) -> bool:
            asked.append((target, target_id))
            return ref == f"media:{user_id}" and target == "support.ticket"

    ada, bob = await person(), await person()
    registry = current()
    stand_in = MediaStandIn()
    registry.pm.register(stand_in, name="media_stand_in")
    try:
        def shot(ref: str, content_type: str = "image/png") -> list[dict[str, str]]:
            return [{"media_id": ref, "content_type": content_type}]

        r = await api.post(T, json={"category": "bug", "subject": "s", "body": "b",
                                    "attachments": shot(f"media:{bob.id}")}, headers=ada.headers)
        assert r.status_code == 422 and r.json()["code"] == "attachment_not_found"
        assert r.json()["errors"][0]["pointer"] == "/attachments/0/media_id"
        r = await api.post(T, json={"category": "bug", "subject": "s", "body": "b",
                                    "attachments": shot(f"media:{ada.id}", "video/mp4")}, headers=ada.headers)
        assert r.status_code == 422 and r.json()["code"] == "attachment_not_image"
        r = await api.post(T, json={"category": "bug", "subject": "s", "body": "b",
                                    "attachments": shot(f"media:{ada.id}")}, headers=ada.headers)
        assert r.status_code == 201, r.text
        tid = r.json()["id"]
        r = await api.post(f"{T}/{tid}/messages", json={"body": "again", "attachments": shot(f"media:{ada.id}")},
                           headers=ada.headers)
        assert r.status_code == 201 and r.json()["message"]["attachments"][0]["verified"] is True
        assert asked[-2:] == [("support.ticket", 0), ("support.ticket", tid)]  # opening, then this ticket
    finally:
        registry.pm.unregister(stand_in)


async def test_pointing_a_ticket_at_someone_elses_hidden_event(api, person, published_event) -> None:
    ada, org = await person(), await person("organiser")
    draft = await api.post("/api/v1/events", json=event_body(), headers=org.headers)
    assert draft.status_code == 201, draft.text
    for about, status, code in [({"type": "events.event", "id": str(draft.json()["id"])}, 404, "subject_not_found"),
                                ({"type": "events.event", "id": "987654"}, 404, "subject_not_found"),
                                ({"type": "orders.order", "id": "1"}, 422, "unknown_subject_type"),
                                ({"type": "events.event", "id": "../1"}, 422, "validation_failed")]:
        r = await api.post(T, json={"category": "event", "subject": "s", "body": "b", "about": about},
                           headers=ada.headers)
        assert r.status_code == status and r.json()["code"] == code, (about, r.text)
    r = await api.post(T, json={"category": "event", "subject": "Loud", "body": "b",
                                "about": {"type": "events.event", "id": str(published_event.id)}},
                       headers=ada.headers)
    assert r.status_code == 201 and r.json()["about"]["label"] == published_event.title
    own = {"type": "events.event", "id": str(draft.json()["id"])}
    r = await api.post(T, json={"category": "event", "subject": "s", "body": "b", "about": own},
                       headers=org.headers)  # the author may point at their own draft
    assert r.status_code == 201


async def test_pointing_a_ticket_at_another_users_order(api, person) -> None:
    """An ``orders.order`` owned by someone else: the owning plugin answers False, support says 404."""
    from core.hooks import hookimpl
    from core.hooks.manager import current

    class OrdersStandIn:
        @hookimpl
        def ticket_subject_from_plugin(self, subject_type: str, subject_id: str, user_id: int) -> Any:
            if subject_type != "orders.order":
                return None
            return f"Order {subject_id}" if subject_id == str(user_id) else False

    ada = await person()
    registry = current()
    stand_in = OrdersStandIn()
    registry.pm.register(stand_in, name="orders_stand_in")
    try:
        for ref, status in ((str(ada.id + 1000), 404), (str(ada.id), 201)):
            r = await api.post(T, json={"category": "order", "subject": "s", "body": "b",
                                        "about": {"type": "orders.order", "id": ref}}, headers=ada.headers)
            assert r.status_code == status, r.text
            if status == 404:
                assert r.json()["code"] == "subject_not_found"
    finally:
        registry.pm.unregister(stand_in)


async def test_bodies_are_checked(api, person, open_ticket) -> None:
    ada = await person()
    r = await api.post(T, json={"category": "gossip", "subject": "", "body": "b", "extra": 1}, headers=ada.headers)
    assert r.status_code == 422 and r.json()["code"] == "validation_failed"
    r = await api.post(T, json={"subject": "s"}, headers=ada.headers)
    assert r.status_code == 422
    r = await api.get(f"{T}?cursor=forged", headers=ada.headers)
    assert r.status_code == 400 and r.json()["code"] == "invalid_cursor"
    assert (await api.get(T)).status_code == 401


async def test_safety_tickets_are_urgent_and_agents_hear_of_them(api, person, open_ticket) -> None:
    agent, quiet, ada = await person(AGENT_ROLE), await person(AGENT_ROLE), await person()
    await api.post("/api/v1/support/desk/heartbeat", headers=agent.headers)
    ticket = await open_ticket(ada, category="safety", subject="Someone threatened me")
    assert ticket["priority"] == "urgent" and ticket["agents_online"] is True
    assert "support.urgent" in await kinds_sent(agent.id)
    assert "support.urgent" in await kinds_sent(quiet.id)  # never came online: told all the same
    assert "support.urgent" not in await kinds_sent(ada.id)
    status = (await api.get("/api/v1/support/status", headers=ada.headers)).json()
    assert status["agents_online"] is True and set(status["expect_answer_by"]) >= {"safety", "bug"}
    by = {k: datetime.fromisoformat(v) for k, v in status["expect_answer_by"].items()}
    assert by["safety"] < by["bug"]  # the category's SLA: 1 working hour against 8
