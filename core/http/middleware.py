"""ASGI middleware of the API: request ids, content-type and global rate limit, and Idempotency-Key replays."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, cast

import msgspec
from redis.exceptions import RedisError

from core import cache, ratelimit
from core.errors import RateLimited
from core.http.context import request_id
from core.http.problems import PROBLEM_JSON
from core.settings import get_settings

log = logging.getLogger("core.http")

# Raw ASGI: messages and scopes are plain dicts here (Litestar's TypedDicts are too narrow for a pass-through).
Scope = Any
Message = Any
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]

_RID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
PENDING_TTL_S = 120
JSON_TYPES = re.compile(r"^application/([a-z0-9.+-]*\+)?json$")
FORM_TYPES = {"multipart/form-data", "application/x-www-form-urlencoded"}


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", []):
        if k == name:
            return str(v.decode("latin-1"))
    return None


async def send_problem(send: Send, status: int, code: str, title: str, detail: str,
                       headers: dict[str, str] | None = None) -> None:
    """Answer from middleware (outside a route handler) with problem+json."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "code": code, "detail": detail}
    if request_id.get():
        body["request_id"] = request_id.get()
    raw = json.dumps(body).encode()
    hdrs = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(raw)).encode())]
    hdrs += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
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
        incoming = _header(scope, b"x-request-id")
        rid = incoming if incoming and _RID.match(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)

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
            request_id.reset(token)

    return middleware


def client_ip(scope: Scope) -> str:
    """The caller's address; ``X-Forwarded-For`` is believed only from configured trusted proxies."""
    client = scope.get("client")
    ip = str(client[0]) if client else "unknown"
    trusted = get_settings().http.trusted_proxies
    if ip in trusted:
        forwarded = _header(scope, b"x-forwarded-for")
        # Walk from the right: each trusted proxy appended the address it saw; the first untrusted one is the client
        # (entries further left were written by the client itself and prove nothing).
        for hop in reversed([h.strip() for h in (forwarded or "").split(",") if h.strip()]):
            if hop not in trusted:
                return hop
    return ip


def api_guard_middleware(app: ASGIApp) -> ASGIApp:
    """For ``/api/``: refuse bodies that are not JSON (415) and apply the per-IP rate limit (429)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await app(scope, receive, send)
            return
        if scope["method"] in MUTATING:
            ctype = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
            length = _header(scope, b"content-length")
            has_body = bool(ctype) or (length not in (None, "0"))
            if has_body and not (JSON_TYPES.match(ctype) or ctype in FORM_TYPES):
                await send_problem(send, 415, "unsupported_media_type", "Unsupported media type",
                                   f"Send the body as application/json, not {ctype or 'without a content type'}.")
                return
        http = get_settings().http
        try:
            if http.rate_limit > 0:
                await ratelimit.hit_batched("api", client_ip(scope), limit=http.rate_limit,
                                            window_s=http.rate_limit_window_s)
        except RateLimited as exc:
            await send_problem(send, 429, exc.code, exc.title, exc.detail, exc.headers)
            return
        await app(scope, receive, send)

    return middleware


class StoredResponse(msgspec.Struct):
    """An idempotency record: pending while the first request runs, then the response to replay."""

    fingerprint: str
    state: str = "pending"
    status: int = 0
    headers: list[tuple[str, str]] = []
    body: bytes = b""


def idempotency_middleware(app: ASGIApp) -> ASGIApp:
    """``Idempotency-Key`` on API mutations: the first response is kept 24 h per caller; a retry gets it replayed.

    The caller scope is the credential (``Authorization``) or, for anonymous calls, the client address, so nobody can
    replay someone else's response. A duplicate arriving while the first is still running gets 409; the same key
    with a different request gets 422. Responses of 5xx are not kept (the client may retry them).
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        key = _header(scope, b"idempotency-key") if scope["type"] == "http" else None
        if key is None or scope["method"] not in MUTATING or not scope["path"].startswith("/api/"):
            await app(scope, receive, send)
            return
        if not 1 <= len(key) <= 255:
            await send_problem(send, 400, "invalid_idempotency_key", "Invalid Idempotency-Key",
                               "The Idempotency-Key header must have 1 to 255 characters.")
            return
        limit = get_settings().http.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:  # buffered for the fingerprint: never hold more than the API accepts
                await send_problem(send, 413, "payload_too_large", "Payload too large",
                                   f"The body is larger than {limit} bytes.")
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        caller = _header(scope, b"authorization") or f"ip:{client_ip(scope)}"
        scope_hash = hashlib.sha256(f"{caller}\0{key}".encode()).hexdigest()
        fingerprint = hashlib.sha256(
            scope["method"].encode() + b" " + scope["raw_path"] + b"?" + scope.get("query_string", b"") + b"\0" + body
        ).hexdigest()
        rkey = cache.key("idem", scope_hash)
        ttl = get_settings().http.idempotency_ttl_s
        redis = cache.client()
        try:
            # The pending marker lives only as long as a request may: a crashed request frees its key soon.
            fresh = await redis.set(rkey, msgspec.msgpack.encode(StoredResponse(fingerprint)), nx=True,
                                    ex=PENDING_TTL_S)
            stored = None if fresh else await redis.get(rkey)
        except (RedisError, OSError):
            await send_problem(send, 503, "service_unavailable", "Service unavailable",
                               "Idempotency keys cannot be checked right now; retry shortly with the same key.",
                               {"Retry-After": "1"})
            return
        if not fresh:
            record = msgspec.msgpack.decode(cast(bytes, stored), type=StoredResponse) if stored else None
            if record is None:  # expired between SET and GET: treat as a conflict, the client retries
                await send_problem(send, 409, "idempotency_in_progress", "Request in progress",
                                   "A request with this Idempotency-Key is being processed.")
            elif record.fingerprint != fingerprint:
                await send_problem(send, 422, "idempotency_key_reused", "Idempotency-Key reused",
                                   "This Idempotency-Key was used for a different request.")
            elif record.state == "pending":
                await send_problem(send, 409, "idempotency_in_progress", "Request in progress",
                                   "A request with this Idempotency-Key is being processed.")
            else:
                headers = [(k.encode(), v.encode()) for k, v in record.headers]
                headers.append((b"idempotent-replayed", b"true"))
                await send({"type": "http.response.start", "status": record.status, "headers": headers})
                await send({"type": "http.response.body", "body": record.body})
            return

        replayed = False

        async def replay_receive() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        captured = StoredResponse(fingerprint, state="done")
        parts: list[bytes] = []

        async def capture_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured.status = message["status"]
                captured.headers = [
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])
                    if k.lower() not in (b"x-request-id", b"set-cookie")
                ]
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
            await send(message)

        try:
            await app(scope, replay_receive, capture_send)
        except BaseException:
            await _forget(rkey)
            raise
        if captured.status >= 500 or captured.status == 0:
            await _forget(rkey)
            return
        captured.body = b"".join(parts)
        try:
            await redis.set(rkey, msgspec.msgpack.encode(captured), ex=ttl)
        except (RedisError, OSError):
            log.warning("idempotency: response for key could not be stored")
            await _forget(rkey)

    return middleware


async def _forget(rkey: str) -> None:
    try:
        await cache.client().delete(rkey)
    except (RedisError, OSError):
        log.warning("idempotency: key could not be released")
