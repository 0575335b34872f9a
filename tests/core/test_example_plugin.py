"""The README's example plugin, installed as a real distribution: each shared piece it shows, tried through the API."""

from __future__ import annotations

import json
from typing import Any

import httpx

from core import db, realtime
from core.auth.services import open_session
from core.hooks import hookimpl, hookspecs
from core.hooks.manager import current, discover
from core.users.services import ban_user
from tests.core.realtime_support import Client, client, serve

URL = "/api/v1/hello/greetings"


def test_example_plugin_is_found_through_its_entry_point() -> None:
    info = discover()["hello"]
    assert info.source.startswith("distribution sbor-hello")
    assert info.manifest.version == "0.1.0"


async def test_a_signed_in_user_greets_and_anyone_reads_the_list(make_client, make_user, auth_headers) -> None:
    client = await make_client(["hello"])
    r = await client.post(URL, json={"name": "Ann"}, headers=await auth_headers(await make_user()))
    assert r.status_code == 201, r.text
    assert r.json()["message"] == "Hello, Ann!" and r.json()["wall"] == "lobby"
    page = (await client.get(URL)).json()  # no sign-in needed to read
    assert [g["name"] for g in page["items"]] == ["Ann"] and page["next_cursor"] is None
    signed_out = await client.post(URL, json={"name": "Bob"})
    assert signed_out.status_code == 401 and signed_out.json()["code"] == "not_authenticated"


async def test_example_plugin_settings_apply(make_client, make_user, auth_headers) -> None:
    client = await make_client(["hello"], settings={"hello": {"greeting": "Privet", "max_length": 4}})
    headers = await auth_headers(await make_user())
    r = await client.post(URL, json={"name": "Ivan"}, headers=headers)
    assert r.json()["message"] == "Privet, Ivan!"
    caps = (await client.get("/api/v1/capabilities")).json()
    assert {"name": "hello", "version": "0.1.0", "settings": {"greeting": "Privet"}, "features": {}} in caps["plugins"]
    # max_length is a rule from the operator's settings, checked in code: the same 422 shape as the schema's rules
    r = await client.post(URL, json={"name": "Ivanna"}, headers=headers)
    assert r.status_code == 422 and [e["pointer"] for e in r.json()["errors"]] == ["/name"]


async def test_the_list_pages_with_a_cursor_and_refuses_a_bad_one(make_client, make_user, auth_headers) -> None:
    client = await make_client(["hello"])
    headers = await auth_headers(await make_user())
    for name in ("a", "b", "c"):
        assert (await client.post(URL, json={"name": name}, headers=headers)).status_code == 201

    first = (await client.get(URL, params={"limit": 2})).json()
    second = (await client.get(URL, params={"limit": 2, "cursor": first["next_cursor"]})).json()

    assert [g["name"] for g in first["items"]] == ["c", "b"] and first["next_cursor"]
    assert [g["name"] for g in second["items"]] == ["a"] and second["next_cursor"] is None
    tampered = first["next_cursor"][:-2] + ("AA" if not first["next_cursor"].endswith("AA") else "BB")
    for bad in ("v1.forged.tag", tampered, "garbage"):
        r = await client.get(URL, params={"cursor": bad})
        assert r.status_code == 400 and r.json()["code"] == "invalid_cursor", bad
    for limit in (0, 201):
        assert (await client.get(URL, params={"limit": limit})).status_code == 400


async def test_the_body_is_checked_field_by_field(make_client, make_user, auth_headers) -> None:
    client = await make_client(["hello"])
    headers = await auth_headers(await make_user())

    missing = await client.post(URL, json={}, headers=headers)
    bad = await client.post(URL, json={"name": " ", "wall": "Not a wall!", "to_user_id": 0}, headers=headers)

    assert missing.status_code == 422 and missing.json()["code"] == "validation_failed"
    assert [e["pointer"] for e in missing.json()["errors"]] == ["/name"]
    assert bad.status_code == 422, bad.text
    assert sorted(e["pointer"] for e in bad.json()["errors"]) == ["/name", "/to_user_id", "/wall"]
    assert (await client.get(URL)).json()["items"] == []


class Listener:
    """Another plugin's implementation of hello's hook, registered for one test."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    @hookimpl
    def greeting_made(self, greeting_id: int, name: str, wall: str, author_id: int) -> None:
        in_transaction = db.engine().transaction_exists()
        self.calls.append({"id": greeting_id, "name": name, "wall": wall, "author": author_id, "tx": in_transaction})


async def test_other_plugins_hear_of_a_greeting_inside_its_transaction(make_client, make_user, auth_headers) -> None:
    client = await make_client(["hello"])
    listener = Listener()
    current().pm.register(listener, name="listener")  # the app's plugin set (make_client activated it)
    ann = await make_user()

    r = await client.post(URL, json={"name": "Bob", "wall": "kitchen"}, headers=await auth_headers(ann))

    assert listener.calls == [{"id": r.json()["id"], "name": "Bob", "wall": "kitchen", "author": ann.id, "tx": True}]


async def outbox() -> list[dict[str, Any]]:
    return await db.fetch("SELECT user_id, kind, subject, payload FROM notify.notification ORDER BY id")


async def test_the_greeted_user_is_notified_through_notify(make_client, make_user, auth_headers) -> None:
    from plugins.notify.kinds import declared
    from plugins.notify.render import render

    client = await make_client(["hello", "notify"])
    ann, bob = await make_user(display_name="Ann"), await make_user(display_name="Bob")

    r = await client.post(URL, json={"name": "Bob", "to_user_id": bob.id}, headers=await auth_headers(ann))

    assert r.status_code == 201, r.text
    rows = await outbox()
    assert [(row["user_id"], row["kind"], row["subject"]) for row in rows] == [
        (bob.id, "hello.greeted", f"hello.greeting:{r.json()['id']}")]
    context = json.loads(rows[0]["payload"])
    assert context == {"author": "Ann", "message": "Hello, Bob!"}
    # The plugin's templates render in both languages with that context (notify adds the recipient's name)
    kind = declared()["hello.greeted"]
    assert render(kind, context, "en", name="Bob").subject == "Ann greeted you"
    assert "Здравствуйте, Bob!" in render(kind, context, "ru", name="Bob").text


async def test_without_notify_a_greeting_still_works_and_nothing_is_queued(make_client, make_user,
                                                                           auth_headers) -> None:
    client = await make_client(["hello"])
    ann, bob = await make_user(), await make_user()
    r = await client.post(URL, json={"name": "Bob", "to_user_id": bob.id}, headers=await auth_headers(ann))
    assert r.status_code == 201, r.text
    assert await outbox() == []


async def test_an_unknown_or_hidden_recipient_is_404_and_nothing_is_stored(make_client, make_user,
                                                                           auth_headers) -> None:
    client = await make_client(["hello", "notify"])
    ann, banned = await make_user(), await make_user()
    await ban_user(banned.id, "spam", actor_id=None)
    headers = await auth_headers(ann)
    for user_id in (banned.id, banned.id + 1000):
        r = await client.post(URL, json={"name": "X", "to_user_id": user_id}, headers=headers)
        assert r.status_code == 404 and r.json()["code"] == "user_not_found", r.text
    assert (await client.get(URL)).json()["items"] == []
    assert await outbox() == []


async def marker(c: Client, user_id: int) -> None:
    """Nothing else was queued for ``c``: a marker sent to its user channel now is the next frame it gets."""
    await realtime.to_user(user_id, {"marker": True})
    await c.expect("message", room="user", data={"marker": True})


async def test_a_wall_hears_each_new_greeting_over_a_websocket(make_app, make_user) -> None:
    ann, bob = await make_user(), await make_user()
    _sid, ann_token = await open_session(ann.id, device="hello-test")
    _sid, bob_token = await open_session(bob.id, device="hello-test")
    async with serve(make_app(["hello"])) as url, client(url, bob_token) as listening:
        await listening.subscribe("hello.wall:kitchen")
        await listening.send(type="subscribe", room="hello.wall:Not.A.Wall")
        await listening.expect("error", code="room_forbidden", room="hello.wall:Not.A.Wall")
        async with httpx.AsyncClient(base_url=url.replace("ws://", "http://")) as http:
            headers = {"Authorization": f"Bearer {ann_token}"}
            made = (await http.post(URL, json={"name": "Bob", "wall": "kitchen"}, headers=headers)).json()
            await http.post(URL, json={"name": "Eve", "wall": "garden"}, headers=headers)  # another wall

        await listening.expect("message", room="hello.wall:kitchen", data=made)
        await marker(listening, bob.id)  # nothing from the garden


def test_the_example_declares_its_kind_and_room(sbor_database) -> None:
    kinds = {kind.name: plugin for plugin, kind in sbor_database.hooks.collect(hookspecs.register_notification_kinds)}
    rooms = {room.name: plugin for plugin, room in sbor_database.hooks.collect(hookspecs.register_realtime_rooms)}
    assert kinds["hello.greeted"] == "hello" and rooms["hello.wall"] == "hello"


async def test_example_plugin_job_forgets_old_greetings(make_client, make_user, auth_headers, clock, run_jobs,
                                                        sbor_database) -> None:
    from sbor_hello.jobs import forget_old_greetings

    client = await make_client(["hello"])
    clock.freeze()
    headers = await auth_headers(await make_user())
    await client.post(URL, json={"name": "Old"}, headers=headers)
    clock.advance(60 * 60 * 24 * 31)
    headers = await auth_headers(await make_user())  # the first token expired with the jump
    await client.post(URL, json={"name": "New"}, headers=headers)
    await forget_old_greetings.enqueue()
    assert await run_jobs() == 1
    assert [g["name"] for g in (await client.get(URL)).json()["items"]] == ["New"]
    periodic = [p for plugin, p in sbor_database.hooks.collect(hookspecs.register_periodic_jobs) if plugin == "hello"]
    assert periodic[0].cron == "0 3 * * *"


async def test_disabled_plugin_has_no_routes(make_client) -> None:
    client = await make_client([])
    r = await client.post(URL, json={"name": "Ann"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    schema = (await client.get("/schema/openapi.json")).json()
    assert not any(p.startswith("/api/v1/hello") for p in schema["paths"])
