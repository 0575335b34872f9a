"""ASGI middleware of the API: request ids, content-type and global rate limit (Idempotency-Key: ``idempotency``)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from core import ratelimit
from core.errors import NotFound, RateLimited, SborError, UnsupportedMediaType
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


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Take ``X-Request-ID`` from the client (when sane) or make one; log with it; echo it in the response."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        incoming = header(scope, b"x-request-id")
        rid = incoming if incoming and _RID.match(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)
        # Who asked, from where: read by the audit log when a service records an action of this request.
        address = client_address.set(client_ip(scope))
        path = scope.get("path") or ""
        came_from = origin.set("api" if path.startswith("/api/") else "admin" if path.startswith("/admin") else "http")

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = list(message["headers"])
                if not any(k.lower() == b"x-request-id" for k, _ in headers):
                    headers.append((b"x-request-id", rid.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            origin.reset(came_from)
            client_address.reset(address)
            request_id.reset(token)

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


def _accepts(scope: Scope, ctype: str) -> bool:
    """JSON everywhere; other types only where the route handler lists them in ``opt["body_types"]``."""
    if JSON_TYPES.match(ctype):
        return True
    handler = scope.get("route_handler")
    allowed = handler.opt.get(BODY_TYPES_OPT, ()) if handler is not None else ()
    return any(ctype == t or (t.endswith("/*") and ctype.startswith(t[:-1])) for t in allowed)


def _out_of_range_id(scope: Scope) -> bool:
    """An integer path parameter no row can have (PostgreSQL integer ids): answered 404 before any query runs."""
    return any(isinstance(v, int) and not -INT4_MAX - 1 <= v <= INT4_MAX
               for v in (scope.get("path_params") or {}).values())


def api_guard_middleware(app: ASGIApp) -> ASGIApp:
    """For ``/api/``: ids out of range (404), bodies that are not JSON (415), the per-IP rate limit (429)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await app(scope, receive, send)
            return
        if _out_of_range_id(scope):
            await send_problem(send, NotFound("No such object."))
            return
        if scope["method"] in MUTATING:
            ctype = (header(scope, b"content-type") or "").split(";")[0].strip().lower()
            length = header(scope, b"content-length")
            has_body = bool(ctype) or (length not in (None, "0"))
            if has_body and not _accepts(scope, ctype):
                await send_problem(send, UnsupportedMediaType(
                    "Send the body as application/json, not %(content_type)s." if ctype else
                    "Send the body as application/json, not without a content type.",
                    params={"content_type": ctype}))
                return
        http = get_settings().http
        try:
            if http.rate_limit > 0:
                await ratelimit.hit_batched("api", client_ip(scope), limit=http.rate_limit,
                                            window_s=http.rate_limit_window_s)
        except RateLimited as exc:
            await send_problem(send, exc)
            return
        await app(scope, receive, send)

    return middleware
