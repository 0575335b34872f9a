"""The seed's data flow end to end, through the HTTP API and the admin panel.

events + notify + analytics + the admin panel on real PostgreSQL and Redis, with a real Dramatiq worker (threads
consuming from Redis) and the periodic scheduler running during the test, and an SMTP sink (aiosmtpd) receiving the
emails. The worker's async jobs run on the test's event loop (they share its connection pool: one loop, one pool),
and both the scheduler and the jobs read core's clock, so advancing the clock makes reminders come due.

Run: ``SBOR_TEST_PLUGINS=events,notify,analytics,admin pytest tests/test_seed_flow.py``
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any

import dramatiq
import pyotp
import pytest
import redis as sync_redis
from dramatiq.asyncio import EventLoopThread, get_event_loop_thread, set_event_loop_thread

from core import db, jobs
from core.hooks import hookspecs
from core.hooks.manager import current
from core.scheduler import Scheduler

pytestmark = pytest.mark.slow

PLUGINS = ["events", "notify", "analytics", "admin"]
PASSWORD = "tangerine-horse-42"
DEVICE = "3f1c9a52-0b7e-4d1e-9a43-5f0f6c1d2e7a"
VENUE = {"name": "Jazz Cellar", "latitude": 52.5200, "longitude": 13.4050, "timezone": "Europe/Berlin",
         "city": "Berlin", "address": "Oranienstr. 1"}


# ---------------------------------------------------------------------------------------------------------------------
# Infrastructure: SMTP sink, Dramatiq worker, scheduler
# ---------------------------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpSink:
    """Keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's hook name
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for rcpt, m in self.messages if address in rcpt]


def text_of(msg: email.message.EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    return str(msg["subject"]) + "\n" + (part.get_content() if part is not None else "")


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpSink, int]]:
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


class SharedLoopThread(EventLoopThread):
    """Dramatiq's event-loop thread, but the loop is the test's: async jobs run where the pool lives."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        threading.Thread.__init__(self, daemon=True)
        self.loop = loop
        self.interrupt_check_ival = 0.1
        import logging

        self.logger = logging.getLogger("tests.seed_flow")

    def start(self, *, timeout: float | None = None) -> None:  # the test's loop is already running
        return None

    def stop(self) -> None:
        return None

    def join(self, timeout: float | None = None) -> None:
        return None


async def start_worker() -> Callable[[], Awaitable[None]]:
    """A real Dramatiq worker (threads consuming Redis) and the periodic scheduler; returns the stopper."""
    broker = jobs.broker()
    worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
    worker.start()
    own = get_event_loop_thread()
    set_event_loop_thread(SharedLoopThread(asyncio.get_running_loop()))
    if own is not None:
        own.stop()
    from core.settings import get_settings

    settings = get_settings()
    periodics = [p for _plugin, p in current().hooks.collect(hookspecs.register_periodic_jobs)]
    scheduler = Scheduler(periodics, sync_redis.Redis.from_url(settings.redis.url), settings.jobs.namespace,
                          tick_s=0.2)
    scheduler.start()

    async def stop() -> None:
        scheduler.stop()
        await asyncio.to_thread(scheduler.join, 5)
        await asyncio.to_thread(worker.stop, 10_000)  # worker threads may be waiting on this loop: never block it

    return stop


async def until(check: Callable[[], Awaitable[Any]], what: str, timeout: float = 30.0) -> Any:
    """Poll ``check`` (the worker runs meanwhile) until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


@pytest.fixture
async def app(make_client: Any, smtp: tuple[SmtpSink, int]) -> AsyncIterator[Any]:
    _sink, port = smtp
    client = await make_client(PLUGINS, settings={
        "notify": {"channels": ["email"], "smtp_host": "127.0.0.1", "smtp_port": port, "dispatch_every_s": 1.0},
        "analytics": {"consume_every_s": 1},
    })
    stop = await start_worker()
    try:
        yield client
    finally:
        await stop()


# ---------------------------------------------------------------------------------------------------------------------
# Helpers over the API
# ---------------------------------------------------------------------------------------------------------------------


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def inbox(client: Any, token: str) -> list[dict[str, Any]]:
    r = await client.get("/api/v1/notify/inbox", headers=bearer(token))
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


async def notifications(user_id: int, kind: str) -> list[dict[str, Any]]:
    return await db.fetch("SELECT kind, status, due_at, offset_min FROM notify.notification "
                          "WHERE user_id = $1 AND kind = $2 ORDER BY due_at", user_id, kind)


def csrf_of(html: str) -> str:
    m = re.search(r'name="_csrf"\s+value="([^"]+)"', html) or re.search(r'value="([^"]+)"\s+name="_csrf"', html)
    assert m, "no CSRF field in the page"
    return m.group(1)


async def sign_up(client: Any, sink: SmtpSink, address: str, name: str) -> dict[str, Any]:
    """Register, verify with the emailed code, log in: the mobile app's path. Returns the token pair."""
    r = await client.post("/api/v1/auth/register", json={"email": address, "password": PASSWORD,
                                                         "display_name": name})
    assert r.status_code == 201, r.text
    user_id = r.json()["user_id"]
    mail = await until(lambda: asyncio.sleep(0, sink.to(address)), f"the verification email to {address}")
    code = re.search(r"\b(\d{6})\b", text_of(mail[-1]))
    assert code, text_of(mail[-1])
    r = await client.post("/api/v1/auth/verify", json={"identifier": address, "code": code.group(1),
                                                       "device_id": DEVICE})
    assert r.status_code == 204, r.text
    r = await client.post("/api/v1/auth/login", json={"identifier": address, "password": PASSWORD,
                                                      "device_id": DEVICE, "device_name": "Pixel 8"})
    assert r.status_code == 200, r.text
    tokens = r.json()
    assert tokens["user_id"] == user_id and tokens["token_type"] == "Bearer"
    rows = await db.fetch("SELECT is_verified, status FROM users.account WHERE id = $1", user_id)
    assert rows == [{"is_verified": True, "status": "active"}]
    return tokens  # type: ignore[no-any-return]


async def admin_panel_login(client: Any, address: str, secret: str) -> None:
    """Sign in to the admin panel with password and TOTP (the session cookie stays in the client)."""
    from core import clock

    r = await client.get("/admin/login")
    assert r.status_code == 200
    r = await client.post("/admin/login", data={
        # The next 30-second step (accepted as clock drift): the current code was spent enabling TOTP.
        "email": address, "password": PASSWORD, "code": pyotp.TOTP(secret).at(int(clock.timestamp()) + 30),
        "_csrf": csrf_of(r.text), "next": "/admin/"})
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/admin/"


# ---------------------------------------------------------------------------------------------------------------------
# The flow
# ---------------------------------------------------------------------------------------------------------------------


async def test_seed_flow(app: Any, smtp: tuple[SmtpSink, int], make_user: Any, auth_headers: Any,
                         clock: Any) -> None:
    sink, _ = smtp
    client = app

    # (1) A user registers (email code through notify and the SMTP sink) and gets a JWT.
    author = await sign_up(client, sink, "ada@example.org", "Ada")
    author_id = author["user_id"]
    r = await client.get("/api/v1/me", headers=bearer(author["access_token"]))
    assert r.status_code == 200 and r.json()["id"] == author_id

    # Creating events needs the organiser role: an admin grants it through the roles API.
    admin_h = await auth_headers(await make_user(roles=["admin"]))
    r = await client.put(f"/api/v1/users/{author_id}/roles/organiser", headers=admin_h)
    assert r.status_code in (200, 204), r.text
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": author["refresh_token"]})
    assert r.status_code == 200, r.text
    author = r.json()
    author_h = bearer(author["access_token"])

    # (2) They create an event at a venue, starting in two days.
    r = await client.post("/api/v1/events/venues", json=VENUE, headers=author_h)
    assert r.status_code == 201, r.text
    venue_id = r.json()["id"]
    starts = (clock.now() + timedelta(days=2)).replace(microsecond=0)
    r = await client.post("/api/v1/events", headers=author_h, json={
        "title": "Jazz night", "description": "Live quartet", "venue_id": venue_id,
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=3)).isoformat(), "capacity": 40})
    assert r.status_code == 201, r.text
    event_id = r.json()["id"]
    assert r.json()["status"] == "draft"
    rows = await db.fetch("SELECT status, author FROM events.event WHERE id = $1", event_id)
    assert rows == [{"status": "draft", "author": author_id}]

    # (3) It goes to moderation; the author is told it is under review.
    r = await client.post(f"/api/v1/events/{event_id}/submit", headers=author_h)
    assert r.status_code == 200 and r.json()["status"] == "pending_review", r.text
    assert (await db.fetch("SELECT status FROM events.event WHERE id = $1", event_id)) == [
        {"status": "pending_review"}]
    rows = await db.fetch("SELECT kind FROM notify.notification WHERE user_id = $1 "
                          "AND subject = 'events.event:' || $2::int", author_id, event_id)
    assert rows == [{"kind": "events.submitted"}]
    items = await until(lambda: inbox(client, author["access_token"]), "the 'under review' inbox item")
    assert [(i["kind"], i["title"]) for i in items] == [("events.submitted", 'Your event "Jazz night" is under review')]
    mails = await until(lambda: asyncio.sleep(0, [m for m in sink.to("ada@example.org")
                                                  if 'Your event "Jazz night" is under review' in text_of(m)]),
                        "the 'under review' email to the author")
    assert len(mails) == 1

    # (4) A moderator (password + TOTP) approves it in the admin panel; the author is notified.
    moderator = await make_user(roles=["moderator"], email="mod@example.org", password=PASSWORD, device_id=DEVICE)
    mod_h = await auth_headers(moderator)
    r = await client.post("/api/v1/auth/totp/setup", headers=mod_h)
    assert r.status_code in (200, 201), r.text
    secret = r.json()["secret"]
    r = await client.post("/api/v1/auth/totp/enable", headers=mod_h,
                          json={"code": pyotp.TOTP(secret).at(int(clock.timestamp()))})
    assert r.status_code in (200, 201), r.text
    await admin_panel_login(client, "mod@example.org", secret)
    r = await client.get("/admin/moderation/")
    assert r.status_code == 200
    queue = re.search(r'href="/admin/moderation/(events\.[a-z_]+)"', r.text)
    assert queue, "no events moderation queue in the panel"
    r = await client.get(f"/admin/moderation/{queue.group(1)}")
    assert r.status_code == 200 and "Jazz night" in r.text
    r = await client.get(f"/admin/moderation/{queue.group(1)}/{event_id}")
    assert r.status_code == 200
    r = await client.post(f"/admin/moderation/{queue.group(1)}/{event_id}/approve", data={"_csrf": csrf_of(r.text)})
    assert r.status_code == 303, r.text
    assert (await db.fetch("SELECT status FROM events.event WHERE id = $1", event_id)) == [{"status": "published"}]
    r = await client.get(f"/api/v1/events/{event_id}")
    assert r.status_code == 200 and r.json()["status"] == "published"

    async def published_items() -> list[dict[str, Any]]:
        return [i for i in await inbox(client, author["access_token"]) if i["kind"] == "events.published"]

    assert len(await until(published_items, "the 'published' inbox item")) == 1
    mails = await until(lambda: asyncio.sleep(0, [m for m in sink.to("ada@example.org")
                                                  if 'Your event "Jazz night" is published' in text_of(m)]),
                        "the 'published' email to the author")
    assert len(mails) == 1
    await until(lambda: db.fetch("SELECT 1 FROM notify.notification WHERE user_id = $1 AND kind = 'events.published' "
                                 "AND status = 'sent'", author_id), "the 'published' notification marked sent")

    # (5) Another user finds it in the near-me feed, opens it (the app logs a view) and joins.
    fan = await sign_up(client, sink, "bob@example.org", "Bob")
    fan_id = fan["user_id"]
    fan_h = bearer(fan["access_token"])
    r = await client.get("/api/v1/events", params={"near": "52.5210,13.4100", "radius_km": 5}, headers=fan_h)
    assert r.status_code == 200, r.text
    feed = r.json()["items"]
    assert [e["id"] for e in feed] == [event_id]
    assert feed[0]["distance_km"] < 1
    r = await client.get(f"/api/v1/events/{event_id}", headers=fan_h)
    assert r.status_code == 200
    r = await client.post("/api/v1/analytics/events", headers=fan_h, json={"events": [
        {"id": "6f1a1c52-0b7e-4d1e-9a43-5f0f6c1d2e7a", "name": "event_viewed", "occurred_at": clock.now().isoformat(),
         "event_id": event_id, "props": {"source": "near_me"}}]})
    assert r.status_code == 202 and r.json()["accepted"] == 1
    r = await client.post(f"/api/v1/events/{event_id}/join", headers=fan_h)
    assert r.status_code == 200 and r.json()["status"] == "confirmed", r.text
    rows = await db.fetch("SELECT status FROM events.participation WHERE event = $1 AND \"user\" = $2",
                          event_id, fan_id)
    assert rows == [{"status": "confirmed"}]

    # (6) Reminders 24 h, 5 h and 1 h before the start are scheduled for the participant…
    reminders = await notifications(fan_id, "events.reminder")
    assert [(r["offset_min"], r["status"]) for r in reminders] == [(1440, "pending"), (300, "pending"),
                                                                    (60, "pending")]
    assert [r["due_at"] for r in reminders] == [starts - timedelta(minutes=m) for m in (1440, 300, 60)]
    # …and delivered when their time comes: move the clock to each, see the email and the inbox item.
    for n, offset in enumerate((1440, 300, 60), start=1):
        clock.advance(starts - timedelta(minutes=offset) - clock.now() + timedelta(minutes=1))
        await until(lambda n=n: _sent(fan_id, n), f"reminder {offset} min to be sent")  # type: ignore[misc]
        mails = [m for m in sink.to("bob@example.org") if text_of(m).startswith("Reminder")]
        assert len(mails) == n and "Jazz night" in text_of(mails[-1])
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": fan["refresh_token"]})
    assert r.status_code == 200, r.text  # the access token expired while the clock moved
    fan = r.json()
    items = await inbox(client, fan["access_token"])
    assert sum(i["kind"] == "events.reminder" for i in items) == 3

    # (7) The author's dashboard shows one view and one join.
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": author["refresh_token"]})
    assert r.status_code == 200, r.text
    author_h = bearer(r.json()["access_token"])

    async def dashboard() -> dict[str, Any] | None:
        r = await client.get(f"/api/v1/analytics/events/{event_id}/dashboard", headers=author_h)
        assert r.status_code == 200, r.text
        body = r.json()
        return body if body["views"] == 1 and body["joins"] == 1 else None

    board = await until(dashboard, "the dashboard to show the view and the join")
    assert (board["unique_viewers"], board["leaves"], board["conversion"]) == (1, 0, 1.0)
    assert (await db.fetch("SELECT count(*) AS n FROM analytics.client_event WHERE event_id = $1", event_id)) == [
        {"n": 1}]
    r = await client.get(f"/api/v1/analytics/events/{event_id}/dashboard", headers=bearer(fan["access_token"]))
    assert r.status_code == 404  # someone else's event

    # The admins' side: once the moderator is made an admin, the panel's dashboard shows the platform figures.
    r = await client.put(f"/api/v1/users/{moderator.id}/roles/admin",
                         headers=await auth_headers(await make_user(roles=["admin"])))
    assert r.status_code in (200, 204), r.text
    client.cookies.clear()  # the panel session expired while the clock moved: sign in again
    await admin_panel_login(client, "mod@example.org", secret)
    r = await client.get("/admin/")
    assert r.status_code == 200 and "Active users today" in r.text, r.text
    r = await client.get("/admin/p/analytics/daily")
    assert r.status_code == 200 and (starts - timedelta(days=2)).date().isoformat() in r.text


async def _sent(user_id: int, n: int) -> bool:
    rows = await db.fetch("SELECT count(*) AS n FROM notify.notification WHERE user_id = $1 "
                          "AND kind = 'events.reminder' AND status = 'sent'", user_id)
    return bool(rows[0]["n"] >= n)
