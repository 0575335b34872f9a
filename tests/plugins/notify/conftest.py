"""Fixtures for notify: a real SMTP server (aiosmtpd), local HTTP provider servers, settings, events snapshots."""

from __future__ import annotations

import email
import email.policy
import inspect
import json
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller

from core import clock as core_clock
from core import db, hooks
from core.hooks.manager import PluginsFile, Registry, activate, build
from plugins.events import hookspecs as events_specs
from plugins.events.hookspecs import EventInfo


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------------------------------------------------------
# SMTP
# ---------------------------------------------------------------------------------------------------------------------


@dataclass
class Received:
    message_id: str
    to: list[str]
    subject: str
    text: str
    html: str
    language: str
    raw: Any


@dataclass
class SmtpRecorder:
    """What the SMTP server accepted; ``reply`` scripts the answer to DATA (``None``: 250)."""

    messages: list[Received] = field(default_factory=list)
    reply: Callable[[Any], Any] | None = None  # returns None (250), a reply line, or an awaitable of one
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        answer = self.reply(msg) if self.reply else None
        if inspect.isawaitable(answer):
            answer = await answer
        if answer:
            return answer
        text = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        with self.lock:
            self.messages.append(Received(
                str(msg["Message-ID"]), list(envelope.rcpt_tos), str(msg["Subject"]),
                text.get_content() if text else "", html.get_content() if html else "",
                str(msg["Content-Language"]), msg))
        return "250 Message accepted for delivery"

    def ids(self) -> list[str]:
        with self.lock:
            return [m.message_id for m in self.messages]


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpRecorder, int]]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) and its port."""
    recorder = SmtpRecorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


# ---------------------------------------------------------------------------------------------------------------------
# HTTP providers (FCM, APNs, Twilio-style SMS): a real server, scripted answers
# ---------------------------------------------------------------------------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class ProviderServer:
    """A threaded HTTP/1.1 server; ``routes`` map a path prefix to ``fn(Seen) -> (status, headers, body)``."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.routes: dict[str, Callable[[Seen], tuple[int, dict[str, str], Any]]] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                seen = Seen("POST", self.path, {k.lower(): v for k, v in self.headers.items()},
                            self.rfile.read(length))
                outer.requests.append(seen)
                for prefix, fn in sorted(outer.routes.items(), key=lambda kv: -len(kv[0])):
                    if self.path.startswith(prefix):
                        status, headers, body = fn(seen)
                        break
                else:
                    status, headers, body = 404, {}, {"error": "no route"}
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                for k, v in {"content-type": "application/json", **headers}.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def provider() -> Iterator[ProviderServer]:
    server = ProviderServer()
    try:
        yield server
    finally:
        server.close()


# ---------------------------------------------------------------------------------------------------------------------
# Settings and events
# ---------------------------------------------------------------------------------------------------------------------


@pytest_asyncio.fixture(loop_scope="session")
async def use_settings(sbor_database: Registry) -> AsyncIterator[Callable[..., Registry]]:
    """``use_settings(smtp_port=..., channels=[...])``: make a plugin set with these notify settings current."""
    from plugins.notify.channels.registry import close_all

    def apply(**notify: Any) -> Registry:
        registry = build(PluginsFile(enabled=["events", "notify"], settings={"notify": notify}))
        activate(registry)
        return registry

    yield apply
    await close_all()
    activate(sbor_database)


def make_event(event_id: int = 1, *, starts_at: datetime | None = None, title: str = "Board games night",
               author_id: int = 1, status: str = "published", tz: str = "Europe/Berlin") -> EventInfo:
    starts = starts_at or (core_clock.now() + timedelta(days=3)).replace(microsecond=0)
    return EventInfo(id=event_id, title=title, author_id=author_id, status=status, starts_at=starts,
                     ends_at=starts + timedelta(hours=3), timezone=tz, venue_name="Café Central", city="Berlin",
                     latitude=52.5, longitude=13.4, online=False, capacity=50, tags=("games",), category="games")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------------------------------
# Events' own hooks, as its services call them (events reads its participants from its tables in the transaction)
# ---------------------------------------------------------------------------------------------------------------------


async def ensure_event(event: EventInfo, fallback_author: int) -> None:
    """Make the events row behind a snapshot (so events' notifications find its participants)."""
    author = await db.fetch("SELECT id FROM users.account WHERE id = $1", event.author_id)
    await db.fetch(
        "INSERT INTO events.event (id, title, starts_at, ends_at, timezone, author, status) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, "
        "starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at, status = EXCLUDED.status",
        event.id, event.title, event.starts_at, event.ends_at, event.timezone,
        event.author_id if author else fallback_author, event.status)


async def join(event: EventInfo, user_id: int, status: str = "confirmed", guests: int = 0) -> None:
    """A participation row and events' ``participant_joined`` hook, in one transaction (as events does it)."""
    await ensure_event(event, user_id)
    async with db.engine().transaction():
        rows = await db.engine().current_transaction.get().connection.fetch(  # type: ignore[union-attr]
            "UPDATE events.participation SET status = $3, guests = $4 WHERE event = $1 AND \"user\" = $2 "
            "RETURNING id", event.id, user_id, status, guests)
        if not rows:
            await db.engine().current_transaction.get().connection.execute(  # type: ignore[union-attr]
                "INSERT INTO events.participation (event, \"user\", guests, status) VALUES ($1, $2, $3, $4)",
                event.id, user_id, guests, status)
        await hooks.notify(events_specs.participant_joined, event=event, user_id=user_id, guests=guests,
                           status=status)


async def leave(event: EventInfo, user_id: int) -> None:
    """The participant leaves (status ``left``) and events' ``participant_left`` hook runs."""
    async with db.engine().transaction():
        await db.engine().current_transaction.get().connection.execute(  # type: ignore[union-attr]
            "UPDATE events.participation SET status = 'left' WHERE event = $1 AND \"user\" = $2", event.id, user_id)
        await hooks.notify(events_specs.participant_left, event=event, user_id=user_id)


async def fire(spec: Callable[..., None], **kwargs: Any) -> None:
    """Call one of events' hooks in a transaction, as its services do."""
    async with db.engine().transaction():
        await hooks.notify(spec, **kwargs)
