"""The JSON API: inbox, preferences, devices, the caller's delivery log — and who may see what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import db, hooks
from core.hooks import hookspecs as core_specs
from plugins.events import hookspecs as events_specs
from plugins.notify import api
from tests.plugins.notify.conftest import fire, make_event
from tests.plugins.notify.test_delivery import deliver_due

PRIVATE = [
    ("GET", "/api/v1/notify/inbox"),
    ("GET", "/api/v1/notify/inbox/unread-count"),
    ("POST", "/api/v1/notify/inbox/1/read"),
    ("POST", "/api/v1/notify/inbox/read-all"),
    ("GET", "/api/v1/notify/preferences"),
    ("PATCH", "/api/v1/notify/preferences"),
    ("GET", "/api/v1/notify/devices"),
    ("POST", "/api/v1/notify/devices"),
    ("DELETE", "/api/v1/notify/devices/1"),
    ("GET", "/api/v1/notify/deliveries"),
]


@pytest.fixture
async def api_client(make_client):
    return await make_client(["events", "notify"], settings={"notify": {"channels": ["log"]}})


@pytest.mark.parametrize(("method", "path"), PRIVATE)
async def test_anonymous_gets_401_problem(api_client, method: str, path: str) -> None:
    r = await api_client.request(method, path, json={} if method in ("POST", "PATCH") else None)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "not_authenticated"


async def _inbox_with(user, n: int, run_jobs) -> None:
    for i in range(n):
        await fire(events_specs.event_published, event=make_event(100 + i, author_id=user.id, title=f"Event {i}"),
                   moderator_id=None)
    await deliver_due(run_jobs)


async def test_inbox_lists_counts_and_marks_read(api_client, make_user, auth_headers, run_jobs) -> None:
    ann, bob = await make_user(), await make_user()
    await _inbox_with(ann, 5, run_jobs)
    await _inbox_with(bob, 1, run_jobs)
    h = await auth_headers(ann)
    assert (await api_client.get("/api/v1/notify/inbox/unread-count", headers=h)).json() == {"unread": 5}
    page = (await api_client.get("/api/v1/notify/inbox?limit=2", headers=h)).json()
    assert len(page["items"]) == 2 and page["items"][0]["read_at"] is None
    items = list(page["items"])
    while page["next_cursor"]:
        page = (await api_client.get(f"/api/v1/notify/inbox?limit=2&cursor={page['next_cursor']}", headers=h)).json()
        items += page["items"]
    seen = [i["id"] for i in items]
    assert seen == sorted(seen, reverse=True) and len(set(seen)) == 5  # newest first, no repeats across pages
    assert {i["title"] for i in items} == {f'Your event "Event {n}" is published' for n in range(5)}
    assert {i["data"]["subject"] for i in items} == {f"events.event:{100 + n}" for n in range(5)}
    r = await api_client.post(f"/api/v1/notify/inbox/{seen[0]}/read", headers=h)
    assert r.status_code == 204
    assert (await api_client.post(f"/api/v1/notify/inbox/{seen[0]}/read", headers=h)).status_code == 204  # idempotent
    assert (await api_client.get("/api/v1/notify/inbox/unread-count", headers=h)).json() == {"unread": 4}
    unread = (await api_client.get("/api/v1/notify/inbox?unread=true", headers=h)).json()["items"]
    assert seen[0] not in [i["id"] for i in unread] and len(unread) == 4
    # someone else's item is not found for me, and stays unread for them
    bob_item = (await db.fetch("SELECT id FROM notify.inbox_item WHERE user_id = $1", bob.id))[0]["id"]
    r = await api_client.post(f"/api/v1/notify/inbox/{bob_item}/read", headers=h)
    assert r.status_code == 404 and r.json()["code"] == "inbox_item_not_found"
    assert (await api_client.post("/api/v1/notify/inbox/read-all", headers=h)).json() == {"unread": 0}
    hb = await auth_headers(bob)
    assert (await api_client.get("/api/v1/notify/inbox/unread-count", headers=hb)).json() == {"unread": 1}


@pytest.mark.parametrize("cursor", ["garbage", "eyJ4IjogMX0", "%%%"])
async def test_bad_cursor_is_400(api_client, make_user, auth_headers, cursor: str) -> None:
    h = await auth_headers(await make_user())
    r = await api_client.get(f"/api/v1/notify/inbox?cursor={cursor}", headers=h)
    assert r.status_code == 400 and r.json()["code"] == "invalid_cursor"


@pytest.mark.parametrize("limit", [0, 201, "x"])
async def test_bad_limit_is_rejected(api_client, make_user, auth_headers, limit) -> None:
    h = await auth_headers(await make_user())
    r = await api_client.get(f"/api/v1/notify/inbox?limit={limit}", headers=h)
    assert r.status_code == 400 and r.json()["code"] == "invalid_parameter"


@pytest.mark.parametrize("notification_id", [0, 2**31, "x"])
async def test_delivery_log_filter_out_of_range_is_400(api_client, make_user, auth_headers, notification_id) -> None:
    h = await auth_headers(await make_user())
    r = await api_client.get(f"/api/v1/notify/deliveries?notification_id={notification_id}", headers=h)
    assert r.status_code == 400 and r.json()["code"] == "invalid_parameter"


async def test_preferences_read_and_update(api_client, make_user, auth_headers) -> None:
    h = await auth_headers(await make_user())
    prefs = (await api_client.get("/api/v1/notify/preferences", headers=h)).json()
    assert prefs["reminder_offsets_min"] == [1440, 300, 60] and prefs["custom_offsets"] is False
    assert prefs["channels"]["events.reminder"] == {"inbox": True, "push": True, "sms": True, "email": True}
    assert "verification" not in prefs["channels"]  # codes cannot be switched off
    r = await api_client.patch("/api/v1/notify/preferences", headers=h, json={
        "quiet_start": "22:30", "quiet_end": "07:00", "timezone": "Europe/Berlin",
        "channels": [{"kind": "events.reminder", "channel": "email", "enabled": False}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["quiet_start"], body["quiet_end"], body["timezone"]) == ("22:30", "07:00", "Europe/Berlin")
    assert body["channels"]["events.reminder"]["email"] is False and body["channels"]["events.changed"]["email"] is True
    # switching back on, and back to the default offsets
    r = await api_client.patch("/api/v1/notify/preferences", headers=h, json={
        "reminder_offsets_min": None, "channels": [{"kind": "events.reminder", "channel": "email", "enabled": True}]})
    assert r.json()["channels"]["events.reminder"]["email"] is True and r.json()["custom_offsets"] is False


@pytest.mark.parametrize(("body", "pointer"), [
    ({"quiet_start": "25:00", "quiet_end": "07:00"}, "/quiet_start"),
    ({"quiet_start": "22:00"}, "/quiet_end"),
    ({"timezone": "Mars/Olympus"}, "/timezone"),
    ({"reminder_offsets_min": [1]}, "/reminder_offsets_min"),
    ({"reminder_offsets_min": list(range(60, 1000, 60))}, "/reminder_offsets_min"),
    ({"channels": [{"kind": "notify.verification", "channel": "email", "enabled": False}]}, "/channels/0/kind"),
    ({"channels": [{"kind": "events.reminder", "channel": "pigeon", "enabled": False}]}, "/channels/0/channel"),
])
async def test_invalid_preferences_are_422(api_client, make_user, auth_headers, body, pointer: str) -> None:
    h = await auth_headers(await make_user())
    r = await api_client.patch("/api/v1/notify/preferences", headers=h, json=body)
    assert r.status_code == 422, r.text
    assert pointer in [e["pointer"] for e in r.json()["errors"]]


@pytest.mark.parametrize(("body", "pointer"), [({"unknown": 1}, "/unknown"), ({"quiet_start": 5}, "/quiet_start"),
                                                ({"channels": "email"}, "/channels"), ([], "")])
async def test_wrongly_typed_preferences_are_422(api_client, make_user, auth_headers, body, pointer: str) -> None:
    h = await auth_headers(await make_user())
    r = await api_client.patch("/api/v1/notify/preferences", headers=h, json=body)
    assert r.status_code == 422, r.text
    assert [e["pointer"] for e in r.json()["errors"]] == [pointer]


async def test_malformed_json_is_400(api_client, make_user, auth_headers) -> None:
    h = await auth_headers(await make_user())
    r = await api_client.patch("/api/v1/notify/preferences", headers={**h, "content-type": "application/json"},
                               content=b'{"quiet_start": ')
    assert r.status_code == 400 and r.json()["code"] == "malformed_json"


async def test_devices_register_refresh_remove(api_client, make_user, auth_headers) -> None:
    ann, bob = await make_user(), await make_user()
    h, hb = await auth_headers(ann), await auth_headers(bob)
    r = await api_client.post("/api/v1/notify/devices", headers=h, json={"platform": "fcm", "token": "tok-1"})
    assert r.status_code == 201, r.text
    first = r.json()
    again = (await api_client.post("/api/v1/notify/devices", headers=h, json={"platform": "fcm", "token": "tok-1"}))
    assert again.json()["id"] == first["id"]  # registering twice is idempotent
    r = await api_client.post("/api/v1/notify/devices", headers=h,
                              json={"platform": "fcm", "token": "tok-2", "previous_token": "tok-1"})
    assert [d["token"] for d in (await api_client.get("/api/v1/notify/devices", headers=h)).json()] == ["tok-2"]
    # bob cannot remove ann's device; the phone changing hands moves the token to bob
    r = await api_client.delete(f"/api/v1/notify/devices/{r.json()['id']}", headers=hb)
    assert r.status_code == 404 and r.json()["code"] == "device_not_found"
    await api_client.post("/api/v1/notify/devices", headers=hb, json={"platform": "fcm", "token": "tok-2"})
    assert (await api_client.get("/api/v1/notify/devices", headers=h)).json() == []
    mine = (await api_client.get("/api/v1/notify/devices", headers=hb)).json()
    assert (await api_client.delete(f"/api/v1/notify/devices/{mine[0]['id']}", headers=hb)).status_code == 204
    assert (await api_client.get("/api/v1/notify/devices", headers=hb)).json() == []


@pytest.mark.parametrize("body", [
    {"platform": "windows", "token": "t"}, {"platform": "fcm", "token": ""}, {"platform": "fcm", "token": "a b"},
    {"platform": "apns", "token": "x" * 513},
])
async def test_bad_device_is_422(api_client, make_user, auth_headers, body) -> None:
    h = await auth_headers(await make_user())
    assert (await api_client.post("/api/v1/notify/devices", headers=h, json=body)).status_code == 422


async def test_users_see_only_their_own_delivery_log_admins_see_all(api_client, make_user, auth_headers,
                                                                    run_jobs) -> None:
    ann, bob = await make_user(), await make_user()
    await _inbox_with(ann, 2, run_jobs)
    await _inbox_with(bob, 1, run_jobs)
    page = (await api_client.get("/api/v1/notify/deliveries", headers=await auth_headers(ann))).json()
    assert len(page["items"]) == 2 and {i["channel"] for i in page["items"]} == {"log"}
    assert all(i["status"] == "sent" and i["notification_status"] == "sent" for i in page["items"])
    everyone = await api.delivery_log(limit=1)
    assert len(everyone.items) == 1 and everyone.next_cursor
    rest = await api.delivery_log(cursor=everyone.next_cursor, limit=10)
    assert {e.user_id for e in [*everyone.items, *rest.items]} == {ann.id, bob.id}
    assert len((await api.delivery_log(user_id=bob.id)).items) == 1
    assert (await api.delivery_log(status="failed")).items == []
    from core import clock

    assert await api.failed_count(clock.now().replace(year=2000)) == 0
    assert (await api.status_counts())["sent"] == 3


async def test_delivery_log_filters_combine(api_client, make_user, run_jobs) -> None:
    ann, bob = await make_user(), await make_user()
    await _inbox_with(ann, 2, run_jobs)
    await _inbox_with(bob, 1, run_jobs)
    entries = (await api.delivery_log()).items
    assert len(entries) == 3 and [e.id for e in entries] == sorted((e.id for e in entries), reverse=True)
    oldest = entries[-1]
    assert [e.id for e in (await api.delivery_log(notification_id=oldest.notification_id)).items] == [oldest.id]
    anns = (await api.delivery_log(user_id=ann.id, channel="log", status="sent", kind=oldest.kind)).items
    assert {e.subject for e in anns} == {"events.event:100", "events.event:101"}
    assert all(e.user_id == ann.id and e.notification_status == "sent" for e in anns)
    assert (await api.delivery_log(user_id=ann.id, channel="email")).items == []
    assert (await api.delivery_log(kind="no.such.kind")).items == []
    assert oldest.user_id == ann.id  # filters combine: ann's notification is not in bob's log
    assert (await api.delivery_log(user_id=bob.id, notification_id=oldest.notification_id)).items == []
    assert len((await api.delivery_log(since=oldest.at)).items) == 3
    assert (await api.delivery_log(since=oldest.at + timedelta(days=1))).items == []


async def test_a_device_token_moves_to_its_latest_user_and_dead_tokens_go(api_client, make_user, clock) -> None:
    from plugins.notify.prefs import list_devices, register_device, remove_invalid_tokens

    ann, bob = await make_user(), await make_user()
    clock.freeze(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    first = await register_device(ann.id, "fcm", "tok-x")
    await register_device(ann.id, "fcm", "tok-y")
    clock.advance(timedelta(hours=1))
    moved = await register_device(bob.id, "apns", "tok-x")
    assert moved["id"] == first["id"] and moved["platform"] == "apns"
    assert moved["created_at"] == first["created_at"] and moved["refreshed_at"] == first["created_at"] + timedelta(
        hours=1)
    assert [d["token"] for d in await list_devices(ann.id)] == ["tok-y"]
    assert [d["token"] for d in await list_devices(bob.id)] == ["tok-x"]
    assert await remove_invalid_tokens([]) == 0
    assert await remove_invalid_tokens(["tok-x", "tok-y", "never-registered"]) == 2
    assert await list_devices(ann.id) == [] and await list_devices(bob.id) == []


async def test_export_and_erasure_hooks(api_client, make_user, auth_headers, run_jobs) -> None:
    from plugins.notify.prefs import register_device, update_preferences

    ann, bob = await make_user(), await make_user()
    await register_device(ann.id, "apns", "secret-device-token")
    await _inbox_with(ann, 1, run_jobs)
    await _inbox_with(bob, 1, run_jobs)
    await update_preferences(ann.id, {"quiet_start": "22:00", "quiet_end": "07:00"})
    exported = await hooks.call(core_specs.user_data_export, user_id=ann.id)
    mine = next(e["notify"] for e in exported if "notify" in e)
    assert mine["devices"] == [{"platform": "apns", "registered_at": mine["devices"][0]["registered_at"]}]
    assert "secret-device-token" not in str(mine)  # a push token is a credential: not exported
    assert mine["preferences"]["quiet_start"] == "22:00" and len(mine["inbox"]) == 1
    await hooks.call(core_specs.user_erasure, user_id=ann.id)
    await hooks.call(core_specs.user_erasure, user_id=ann.id)  # idempotent
    for table in ("device_token", "user_options", "inbox_item", "notification", "attempt"):
        rows = await db.fetch(f"SELECT user_id FROM notify.{table}")
        assert ann.id not in [r["user_id"] for r in rows], table
    assert (await api_client.get("/api/v1/notify/inbox/unread-count", headers=await auth_headers(bob))).json() == {
        "unread": 1}
