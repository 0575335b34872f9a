"""A per-process copy of anonymous GET responses, answered before Litestar runs (the feed's hot path).

A route opts in with ``opt={"response_cache": True}`` on a GET handler whose path has no parameters (the events feed)
and whose anonymous answer depends only on the path, the query string and the language. Such a request without
``Authorization``, ``Cookie`` or ``Origin`` is answered from this process's memory when an earlier identical one
(same path, raw query string and negotiated language) was answered 200 entirely from current read-cache entries
(``core.cache``: the ``Seen`` record of the request). Only then: a response that read past the cache (Redis away, the
cache off, an entry not stored) is never kept.

What the fast path still does, as the normal path would: the per-address API rate limit (``core.ratelimit``, the same
429 problem+json), the request id (``X-Request-ID`` echoed or made), ``If-None-Match`` → 304 with the same headers,
and the request metrics (by route template) once the normal path has counted that route. The stored headers are the
normal path's own (``ETag``, ``Cache-Control``, ``Content-Type``, ``Content-Language``, ``Vary`` …).

Freshness: every ``core.cache.bump`` is published on ``core.cache.channel()``; one subscriber task per process drops
the copies depending on a bumped counter (all of them for the epoch) as the message arrives. The copies are used only
while the subscription is known alive (a PING answered within :data:`LIVE_S`); a lost subscription drops everything
and the requests take the normal path (which checks Redis) until it is back. A copy also ends when the first entry it
was built from expires. Redis down: the normal path, as without this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core import cache, clock, i18n, ratelimit
from core.errors import RateLimited
from core.http.context import request_id
from core.http.middleware import (
    _RID,
    ASGIApp,
    Figures,
    Message,
    Receive,
    Scope,
    Send,
    client_ip,
    new_request_id,
    send_problem,
)
from core.settings import get_settings

log = logging.getLogger("core.http.response_cache")

OPT = "response_cache"
"""A GET route handler's ``opt`` key: ``opt={"response_cache": True}`` opts it into the per-process copy."""
MAX_ENTRIES = 4096  # per app, least recently used dropped first
MAX_BODY_BYTES = 256 * 1024
PING_S = 0.25  # the subscriber pings this often
LIVE_S = 1.5  # copies are served only if the subscription answered within this long
RETRY_S = 1.0  # after losing the subscription
STOP_S = 5.0  # how long a shutdown waits for the subscriber to end
_BYPASS = frozenset({b"authorization", b"cookie", b"origin"})
_DROP = frozenset({b"x-request-id", b"date", b"server"})
# A 304 carries the headers a 200 would have had, without the ones describing the body (RFC 9110 15.4.5).
_NOT_IN_304 = frozenset({b"content-type", b"content-length"})


@dataclass(slots=True)
class _Entry:
    headers: list[tuple[bytes, bytes]]
    headers_304: list[tuple[bytes, bytes]]
    body: bytes
    etag: str | None
    keys: frozenset[str]
    until: float  # core.clock time
    template: str


class _Store:
    """One app's copies: (path, query string, language) → response."""

    def __init__(self) -> None:
        self.entries: OrderedDict[tuple[str, bytes, str | None], _Entry] = OrderedDict()

    def drop(self, keys: set[str]) -> None:
        for k in [k for k, e in self.entries.items() if not e.keys.isdisjoint(keys)]:
            del self.entries[k]


class _Subscriber:
    """The process's subscription to the bumps: drops copies, tells whether copies may be served."""

    def __init__(self) -> None:
        self.task: asyncio.Task[None] | None = None
        self.live_until = 0.0  # time.monotonic()
        self.generation = 0  # moves with every invalidation: a response computed across one is not kept
        self.stores: weakref.WeakSet[_Store] = weakref.WeakSet()

    def live(self) -> bool:
        return time.monotonic() < self.live_until

    def ensure(self) -> None:
        task = self.task
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            self.task = asyncio.get_running_loop().create_task(self.run(), name="sbor-response-cache")

    def clear(self) -> None:
        self.generation += 1
        for store in list(self.stores):
            store.entries.clear()

    def invalidate(self, data: bytes) -> None:
        keys = set(data.decode().split())
        if cache._version_key(cache.EPOCH) in keys:
            self.clear()
            return
        self.generation += 1
        for store in list(self.stores):
            store.drop(keys)

    async def run(self) -> None:
        current = asyncio.current_task()
        assert current is not None
        while True:
            try:
                redis = cache.client()
                pubsub = redis.pubsub()
                try:
                    await pubsub.subscribe(cache.channel())
                    pinged = 0.0
                    while cache.client() is redis:  # a new client (cache.close(): another URL): subscribe there
                        if current.cancelling():  # redis-py's read timeout can swallow a cancel: honour it here
                            raise asyncio.CancelledError
                        if time.monotonic() - pinged >= PING_S:
                            await pubsub.ping()
                            pinged = time.monotonic()
                        message = await pubsub.get_message(timeout=PING_S)
                        if message is None:
                            continue
                        if message["type"] == "message":
                            self.invalidate(message["data"])
                        elif message["type"] == "subscribe":  # the first, or redis-py's after a reconnect
                            self.clear()  # kept before it: bumps may have been missed meanwhile
                            _stats["subscribed"] += 1
                        self.live_until = time.monotonic() + LIVE_S  # subscribe, pong, message: it is alive
                finally:
                    self.live_until = 0.0
                    self.clear()
                    with contextlib.suppress(Exception):
                        await pubsub.aclose()  # type: ignore[no-untyped-call]
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure: copies off, the normal path serves, retry
                log.warning("response cache off: bump subscription lost: %s", exc)
            await asyncio.sleep(RETRY_S)


_subscriber = _Subscriber()
_stats = {"hit": 0, "kept": 0, "limited": 0, "subscribed": 0}


def stats() -> dict[str, int]:
    """This process's counters.

    ``hit`` (answered from a copy, 304s too), ``kept`` (copies made), ``limited`` (429), ``subscribed``
    (subscriptions to the bumps, re-subscriptions after a lost connection too).
    """
    return dict(_stats)


async def stop() -> None:
    """Stop this process's subscriber (app shutdown); the copies are dropped. The next request starts it again."""
    task, _subscriber.task = _subscriber.task, None
    if task is not None and not task.done() and task.get_loop() is asyncio.get_running_loop():
        task.cancel()
        await asyncio.wait({task}, timeout=STOP_S)  # never hang a shutdown on a subscription
    _subscriber.live_until = 0.0
    _subscriber.clear()


def live() -> bool:
    """Whether copies are served now (the subscription answered lately)."""
    return _subscriber.live()


def opted_paths(app: Any) -> set[str]:
    """The paths of ``app``'s GET handlers with ``opt={"response_cache": True}`` (paths without parameters)."""
    found: set[str] = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if handler.opt.get(OPT) and "GET" in getattr(handler, "http_methods", ()):
                if "{" in route.path:
                    raise ValueError(f"response cache: {route.path!r} has path parameters (not supported)")
                found.add(route.path)
    return found


def _language(header: bytes | None) -> str | None:
    return i18n.negotiate(header.decode("latin-1") if header is not None else None)


def _matches(if_none_match: bytes, etag: str) -> bool:
    """``If-None-Match`` names ``etag`` (weak comparison, as the routes' own check)."""
    tags = {t.strip().removeprefix("W/") for t in if_none_match.decode("latin-1").split(",")}
    return "*" in tags or etag in tags


def _count(figures: Figures | None, template: str, status: int, started: float) -> None:
    """Count the request in the HTTP metrics (when they are on), as the edge counts the normal path's."""
    if figures is not None:
        figures.record("GET", template, status, time.perf_counter() - started)


def middleware(app: ASGIApp, paths: Iterable[str], figures: Figures | None = None) -> ASGIApp:
    """Wrap ``app`` (outermost) with the fast path for ``paths`` (:func:`opted_paths`); copies count in ``figures``."""
    opted = frozenset(paths)
    if not opted:
        return app
    store = _Store()
    _subscriber.stores.add(store)

    async def fast(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] not in opted:
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        if_none_match = incoming = language_header = None
        for name, value in scope["headers"]:
            if name in _BYPASS:
                await app(scope, receive, send)
                return
            if name == b"if-none-match":
                if_none_match = value
            elif name == b"x-request-id" and incoming is None:
                incoming = value
            elif name == b"accept-language" and language_header is None:
                language_header = value
        _subscriber.ensure()
        if not _subscriber.live() or cache.ttl_s() <= 0:
            await app(scope, receive, send)
            return
        language = _language(language_header)
        key = (scope["path"], scope["query_string"], language)
        entry = store.entries.get(key)
        if entry is not None and clock.timestamp() >= entry.until:
            del store.entries[key]
            entry = None
        if entry is None:
            await _fill(app, store, key, scope, receive, send)
            return
        rid = incoming.decode("latin-1") if incoming is not None else ""
        if not _RID.match(rid):
            rid = new_request_id()
        if scope["path"].startswith("/api/"):  # the API guard's per-address limit (GETs: no body checks)
            http = get_settings().http
            if http.rate_limit > 0:
                try:
                    await ratelimit.hit_batched("api", client_ip(scope), limit=http.rate_limit,
                                                window_s=http.rate_limit_window_s)
                except RateLimited as exc:
                    token = request_id.set(rid)
                    try:
                        with i18n.use_locale(language, chosen=language is not None):
                            await send_problem(send, exc)
                    finally:
                        request_id.reset(token)
                    _stats["limited"] += 1
                    _count(figures, entry.template, exc.status, started)
                    return
        store.entries.move_to_end(key)
        _stats["hit"] += 1
        tag = (b"x-request-id", rid.encode())
        if if_none_match is not None and entry.etag is not None and _matches(if_none_match, entry.etag):
            await send({"type": "http.response.start", "status": 304, "headers": [*entry.headers_304, tag]})
            await send({"type": "http.response.body", "body": b""})
            _count(figures, entry.template, 304, started)
            return
        await send({"type": "http.response.start", "status": 200, "headers": [*entry.headers, tag]})
        await send({"type": "http.response.body", "body": entry.body})
        _count(figures, entry.template, 200, started)

    return fast


async def _fill(app: ASGIApp, store: _Store, key: tuple[str, bytes, str | None], scope: Scope, receive: Receive,
                send: Send) -> None:
    """The normal path, keeping its answer when it is a 200 made only of current read-cache entries."""
    generation = _subscriber.generation
    status = 0
    headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []
    whole = False

    async def capture(message: Message) -> None:
        nonlocal status, headers, whole
        if message["type"] == "http.response.start":
            status, headers = message["status"], list(message.get("headers") or [])
        elif message["type"] == "http.response.body" and status == 200:
            chunks.append(message.get("body", b""))
            whole = not message.get("more_body", False)
        await send(message)

    with cache.watch() as seen:
        await app(scope, receive, capture)
    if (status != 200 or not whole or not seen.complete or generation != _subscriber.generation
            or not _subscriber.live()):
        return
    body = b"".join(chunks)
    kept = [(k.lower(), v) for k, v in headers if k.lower() not in _DROP]
    if len(body) > MAX_BODY_BYTES or any(k == b"set-cookie" for k, _ in kept):
        return
    etag = next((v.decode("latin-1") for k, v in kept if k == b"etag"), None)
    store.entries[key] = _Entry(kept, [(k, v) for k, v in kept if k not in _NOT_IN_304], body, etag,
                                frozenset(seen.keys), seen.until, scope.get("path_template") or scope["path"])
    _stats["kept"] += 1
    if len(store.entries) > MAX_ENTRIES:
        store.entries.popitem(last=False)
