"""Error reports: a local server that speaks Sentry's envelope endpoint receives the report of an unhandled error,
tagged with the request id and scrubbed of personal data and secrets."""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import dramatiq
import httpx
import msgspec
import pytest
from litestar import get

from core import jobs
from core.app import create_app
from core.hooks import hookimpl
from core.hooks.manager import PluginsFile, Registry, activate, build
from core.observability import sentry
from core.settings import ObservabilitySettings, get_settings
from tests.core.hooks.fakes import available, fake_plugin

SECRETS = ["ivan.petrov@example.org", "+7 916 123-45-67", "+79161234567", "s3cr3t-passw0rd", "abc.def.ghi-token",
           "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl", "session-cookie-value"]


class Ingest(BaseHTTPRequestHandler):
    """``POST /api/<project>/envelope/``: decompresses and keeps each envelope."""

    envelopes: list[tuple[str, dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding == "br":
            import brotli  # type: ignore[import-not-found]

            body = brotli.decompress(body)
        self.envelopes.append((self.path, dict(self.headers), body))
        reply = b'{"id":"ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: Any) -> None:
        pass


def items(envelope: bytes) -> tuple[dict[str, Any], list[tuple[dict[str, Any], bytes]]]:
    """Parse an envelope: a header line, then item headers each followed by its payload (``length`` or a line)."""
    head, _, rest = envelope.partition(b"\n")
    out = []
    while rest.strip():
        item_line, _, rest = rest.partition(b"\n")
        header = json.loads(item_line)
        if "length" in header:
            payload, rest = rest[:header["length"]], rest[header["length"]:]
            rest = rest[1:] if rest.startswith(b"\n") else rest
        else:
            payload, _, rest = rest.partition(b"\n")
        out.append((header, payload))
    return json.loads(head), out


@get("/obssentry/boom", operation_id="obssentry_boom")
async def boom() -> None:
    import logging

    logging.getLogger("plugins.obssentry").warning("about to fail for %s", SECRETS[0],
                                                   extra={"password": SECRETS[3], "phone": SECRETS[2]})
    raise RuntimeError(f"could not notify {SECRETS[0]} at {SECRETS[1]} with Bearer {SECRETS[4]} ({SECRETS[5]})")


PLUGIN = fake_plugin("obssentry", hooks={"register_routes": hookimpl(lambda: [boom])})


@pytest.fixture
def ingest() -> Iterator[tuple[str, type[Ingest]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Ingest)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Ingest.envelopes.clear()
    dsn = f"http://0123456789abcdef0123456789abcdef@127.0.0.1:{server.server_port}/42"
    settings = msgspec.structs.replace(get_settings(), observability=ObservabilitySettings(
        sentry_dsn=dsn, sentry_environment="test-sentry"))
    assert sentry.configure(settings)
    yield dsn, Ingest
    sentry.shutdown()
    server.shutdown()
    server.server_close()


@pytest.fixture
def app(sbor_database: Registry) -> Iterator[Any]:
    yield create_app(build(PluginsFile(enabled=["obssentry"]), available(PLUGIN)))
    activate(sbor_database)


async def test_an_unhandled_error_is_reported_with_the_request_id_and_nothing_personal(ingest, app) -> None:
    _dsn, server = ingest
    async with app.lifespan(), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                 base_url="http://testserver") as client:
        r = await client.get("/api/v1/obssentry/boom", headers={
            "X-Request-ID": "req-sentry-1", "Authorization": f"Bearer {SECRETS[4]}",
            "Cookie": f"session={SECRETS[6]}"})
    assert r.status_code == 500 and r.json()["request_id"] == "req-sentry-1"
    sentry.shutdown()  # flushes the queue
    deadline = time.monotonic() + 10
    while not server.envelopes and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.envelopes, "no envelope reached the server"

    path, headers, raw = server.envelopes[0]
    assert path == "/api/42/envelope/"
    assert "sentry_key=0123456789abcdef0123456789abcdef" in headers.get("X-Sentry-Auth", "")
    for secret in SECRETS:
        assert secret.encode() not in raw, f"{secret!r} was sent to Sentry"
    envelope_header, parts = items(raw)
    events = [json.loads(p) for h, p in parts if h["type"] == "event"]
    assert len(events) == 1
    event = events[0]
    assert envelope_header["event_id"] == event["event_id"]
    assert event["tags"]["request_id"] == "req-sentry-1"
    assert event["environment"] == "test-sentry"
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    message = event["exception"]["values"][-1]["value"]
    assert "[email]" in message and "[phone]" in message and "Bearer [Filtered]" in message and "[Filtered])" in message
    assert "user" not in event or "ip_address" not in event["user"]
    frames = event["exception"]["values"][-1]["stacktrace"]["frames"]
    assert all("vars" not in f for f in frames)  # local variables are never sent
    crumbs = event.get("breadcrumbs", {}).get("values", [])
    crumb = next(c for c in crumbs if c.get("category") == "plugins.obssentry")
    assert crumb["message"] == "about to fail for [email]" or "[email]" in json.dumps(crumb)


failed = threading.Event()


@jobs.job("obssentry.fail", queue="obssentry", max_retries=0)
def fail_job(email: str) -> None:
    failed.set()
    raise RuntimeError(f"could not reach {email}")


async def test_a_failing_job_is_reported_with_its_name(ingest, sbor_database) -> None:
    _dsn, server = ingest
    jobs.bind([("obssentry", fail_job)])
    failed.clear()
    fail_job.send(SECRETS[0])
    worker = dramatiq.Worker(jobs.broker(), queues={"obssentry"}, worker_threads=1, worker_timeout=100)
    worker.start()
    try:
        assert await asyncio.to_thread(failed.wait, 30)
        deadline = time.monotonic() + 30
        while not server.envelopes and time.monotonic() < deadline:  # the worker logs the failure after the job
            await asyncio.sleep(0.05)
    finally:
        await asyncio.to_thread(worker.stop)
    sentry.shutdown()
    assert server.envelopes, "no envelope reached the server"
    raw = b"".join(body for _path, _headers, body in server.envelopes)
    assert SECRETS[0].encode() not in raw
    events = [json.loads(p) for _p, _h, body in server.envelopes for h, p in items(body)[1] if h["type"] == "event"]
    event = next(e for e in events if e.get("tags", {}).get("job") == "obssentry.fail")
    assert "request_id" not in event["tags"]
    assert event["exception"]["values"][-1]["value"] == "could not reach [email]"


def test_scrub_masks_by_key_and_by_content() -> None:
    event = {"request": {"headers": {"Authorization": "Bearer x", "Cookie": "a=b", "Accept": "application/json"},
                         "cookies": {"session": "x"}},
             "extra": {"password": "p", "user_email": "a@b.io", "count": 3, "note": "call +7 (916) 123-45-67"},
             "list": [["authorization", "Bearer y"], ["accept", "text/html"]],
             "message": "8 916 123 45 67 or 8-916-123-45-67, id 2026-11-26 12:00, order 12345678901"}
    out = sentry.scrub(event)
    assert out["request"]["headers"] == {"Authorization": "[Filtered]", "Cookie": "[Filtered]",
                                         "Accept": "application/json"}
    assert out["request"]["cookies"] == "[Filtered]"
    assert out["extra"] == {"password": "[Filtered]", "user_email": "[Filtered]", "count": 3,
                            "note": "call [phone]"}
    assert out["list"] == [["authorization", "[Filtered]"], ["accept", "text/html"]]
    assert out["message"] == "[phone] or [phone], id 2026-11-26 12:00, order 12345678901"


def test_no_dsn_no_reports() -> None:
    assert sentry.configure(get_settings()) is False
