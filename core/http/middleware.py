"""The API's raw ASGI pieces: the outermost layer (request id, caller, language, figures) and what middleware shares.

The route-level checks (ids, body types, rate limit, ``Idempotency-Key``) are ``core.http.guard``'s.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from core import i18n
from core.errors import SborError
from core.http.context import client_address, origin, request_id
from core.http.problems import PROBLEM_JSON, language_headers, localized_errors
from core.settings import get_settings

# Raw ASGI: messages and scopes are plain dicts here (Litestar's TypedDicts are too narrow for a pass-through).
Scope = Any
Message = Any
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]

_RID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
JSON_TYPES = re.compile(r"^application/([a-z0-9.+-]*\+)?json$")
BODY_TYPES_OPT = "body_types"
"""A route handler's ``opt`` key listing the non-JSON content types it takes (e.g. media's local upload: image/*)."""
METRICS_PATH = "/metrics"  # the scrape itself is not counted among the requests
INT4_MAX = 2**31 - 1  # ids are PostgreSQL integers: a larger one names nothing (and would overflow the query)


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of request header ``name`` (lower-case bytes), or None."""
    for k, v in scope.get("headers", []):
        if k == name:
            return str(v.decode("latin-1"))
    return None


async def send_problem(send: Send, error: SborError) -> None:
    """Answer from middleware (outside a route handler) with ``error`` as problem+json, as handlers' errors are."""
    body: dict[str, Any] = {"type": "about:blank", "title": error.localized_title(), "status": error.status,
                            "code": error.code, "detail": error.localized(), **error.extra}
    if isinstance(body.get("errors"), list):
        body["errors"] = localized_errors(body["errors"], error)
    if request_id.get():
        body["request_id"] = request_id.get()
    raw = json.dumps(body).encode()
    status = error.status
    hdrs = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(raw)).encode())]
    hdrs += [(k.lower().encode(), v.encode()) for k, v in {**language_headers(), **error.headers}.items()]
    if request_id.get():
        hdrs.append((b"x-request-id", str(request_id.get()).encode()))
    await send({"type": "http.response.start", "status": status, "headers": hdrs})
    await send({"type": "http.response.body", "body": raw})


class _RequestIds:
    """Request ids: this process's random 64-bit prefix and a counter, 32 hex digits in all (unique, not secret).

    A child process made by ``fork`` draws a prefix of its own.
    """

    def __init__(self) -> None:
        self.reseed()
        os.register_at_fork(after_in_child=self.reseed)

    def reseed(self) -> None:
        self.prefix = os.urandom(8).hex()
        self.counter = itertools.count(int.from_bytes(os.urandom(4)))

    def next(self) -> str:
        return f"{self.prefix}{next(self.counter) & 0xFFFFFFFFFFFFFFFF:016x}"


_request_ids = _RequestIds()


def new_request_id() -> str:
    """A fresh request id: 32 hex digits, unique across processes (an id to follow a request by, not a secret)."""
    return _request_ids.next()


class Figures(Protocol):
    """What the edge reports each request to (the request metrics of ``core.observability``)."""

    def started(self, method: str) -> None: ...

    def finished(self, method: str, template: str | None, status: int, seconds: float) -> None: ...

    def record(self, method: str, template: str, status: int, seconds: float) -> None: ...


def edge_middleware(app: ASGIApp, figures: Figures | None = None) -> ASGIApp:
    """Outermost: each request's id, caller, origin and language, and its figures; the id is echoed in the response.

    One layer with one pass over the headers and one ``send`` wrapper (the stack's cost per request is mostly the
    number of layers a request and its response pass through: ``bench kernel``). Even requests no route answers
    (404, 405) get and echo an id. WebSocket connections get their language only. ``figures`` counts every routed
    request by route template (unrouted ones have no template and are not counted, as no series could name them).
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http":
            if kind != "websocket":
                await app(scope, receive, send)
                return
            locale = i18n.set_locale(language := i18n.negotiate(header(scope, b"accept-language")),
                                     chosen=language is not None)
            try:
                await app(scope, receive, send)
            finally:
                i18n.reset_locale(locale)
            return
        incoming = accept = None
        for k, v in scope["headers"]:
            if k == b"x-request-id":
                if incoming is None:
                    incoming = v.decode("latin-1")
            elif k == b"accept-language" and accept is None:
                accept = v.decode("latin-1")
        rid = incoming if incoming is not None and _RID.match(incoming) else _request_ids.next()
        tag = (b"x-request-id", rid.encode())
        language = i18n.negotiate(accept) if accept is not None else None
        path = scope["path"]
        method = scope["method"]
        tokens = (request_id.set(rid), client_address.set(client_ip(scope)),
                  origin.set("api" if path.startswith("/api/") else "admin" if path.startswith("/admin") else "http"))
        locale = i18n.set_locale(language, chosen=language is not None)
        counted = figures is not None and path != METRICS_PATH
        status, started, ended = 500, time.perf_counter(), 0.0

        async def send_with_id(message: Message) -> None:
            nonlocal status, ended
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
                headers = message.get("headers") or []
                if not isinstance(headers, list):  # any iterable, says ASGI: read it once
                    headers = message["headers"] = list(headers)
                for k, _ in headers:
                    if k == b"x-request-id":
                        break
                else:
                    message["headers"] = [*headers, tag]
            elif not ended and kind == "http.response.body":
                ended = time.perf_counter()
            await send(message)

        if counted:
            figures.started(method)  # type: ignore[union-attr]
        try:
            await app(scope, receive, send_with_id)
        finally:
            if counted:
                figures.finished(method, scope.get("path_template"), status,  # type: ignore[union-attr]
                                 (ended or time.perf_counter()) - started)
            i18n.reset_locale(locale)
            origin.reset(tokens[2])
            client_address.reset(tokens[1])
            request_id.reset(tokens[0])

    return middleware


def client_ip(scope: Scope) -> str:
    """The caller's address; ``X-Forwarded-For`` is believed only from configured trusted proxies."""
    client = scope.get("client")
    ip = str(client[0]) if client else "unknown"
    trusted = get_settings().http.trusted_proxies
    if ip in trusted:
        forwarded = header(scope, b"x-forwarded-for")
        # Walk from the right: each trusted proxy appended the address it saw; the first untrusted one is the client
        # (entries further left were written by the client itself and prove nothing).
        for hop in reversed([h.strip() for h in (forwarded or "").split(",") if h.strip()]):
            if hop not in trusted:
                return hop
    return ip
