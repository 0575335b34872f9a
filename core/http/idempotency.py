"""``Idempotency-Key`` on API mutations: the first response is kept per caller and replayed to a retry."""

from __future__ import annotations

import hashlib
import logging
from typing import cast

import msgspec
from redis.exceptions import RedisError

from core import cache
from core.auth.tokens import decode_access_token
from core.errors import BadRequest, Conflict, NotAuthenticated, PayloadTooLarge, ServiceUnavailable, ValidationFailed
from core.http.middleware import ASGIApp, Message, Receive, Scope, Send, client_ip, header, send_problem
from core.settings import get_settings

log = logging.getLogger("core.http")

PENDING_TTL_S = 120
MAX_KEY_LENGTH = 255


class StoredResponse(msgspec.Struct):
    """An idempotency record: pending while the first request runs, then the response to replay."""

    fingerprint: str
    state: str = "pending"
    status: int = 0
    headers: list[tuple[str, str]] = []
    body: bytes = b""


# --------------------------------------------------------------------------------------------------------------------
# Key and fingerprint
# --------------------------------------------------------------------------------------------------------------------


def record_key(scope: Scope, key: str) -> str:
    """The cache key of an ``Idempotency-Key``, scoped to the caller so nobody replays someone else's response.

    The caller is the signed-in session (so a retry after the access token was refreshed is still the same caller),
    the raw credential when it is not a valid access token, or for anonymous calls the client address.
    """
    caller = header(scope, b"authorization") or f"ip:{client_ip(scope)}"
    scheme, _, token = caller.partition(" ")
    if scheme.lower() == "bearer" and token:
        try:
            claims = decode_access_token(token.strip())
            caller = f"session:{claims.session_id}"
        except NotAuthenticated:
            pass  # the request fails with 401 anyway; the raw header keeps it apart from everyone else's
    return cache.key("idem", hashlib.sha256(f"{caller}\0{key}".encode()).hexdigest())


def fingerprint_of(scope: Scope, body: bytes) -> str:
    """What makes two requests "the same": method, path, query string and body."""
    request = scope["method"].encode() + b" " + scope["raw_path"] + b"?" + scope.get("query_string", b"")
    return hashlib.sha256(request + b"\0" + body).hexdigest()


# --------------------------------------------------------------------------------------------------------------------
# Request and response bodies
# --------------------------------------------------------------------------------------------------------------------


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None past ``limit`` bytes (it is buffered: never more than the API accepts)."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the already read body first, then the connection's next messages."""
    replayed = False

    async def replay_receive() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay_receive


class ResponseCapture:
    """Passes the app's response on to the client and keeps a copy of it to replay."""

    def __init__(self, send: Send, fingerprint: str) -> None:
        self._send = send
        self._parts: list[bytes] = []
        self.record = StoredResponse(fingerprint, state="done")

    async def send(self, message: Message) -> None:
        """The ``send`` given to the app."""
        if message["type"] == "http.response.start":
            self.record.status = message["status"]
            self.record.headers = [
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])
                if k.lower() not in (b"x-request-id", b"set-cookie")
            ]
        elif message["type"] == "http.response.body":
            self._parts.append(message.get("body", b""))
        await self._send(message)

    def finished(self) -> StoredResponse | None:
        """The response to keep, or None when it must not be replayed (5xx: the client may retry; none sent)."""
        if self.record.status >= 500 or self.record.status in (0, 429):  # a throttle answers for now, not for a day
            return None
        self.record.body = b"".join(self._parts)
        return self.record


# --------------------------------------------------------------------------------------------------------------------
# The in-flight marker, the stored response and its replay
# --------------------------------------------------------------------------------------------------------------------


async def claim(rkey: str, fingerprint: str) -> tuple[bool, StoredResponse | None]:
    """Mark the key as in flight; return whether this request holds it, and otherwise the stored record (if any).

    The pending marker lives only as long as a request may: a crashed request frees its key soon. Raises
    ``RedisError``/``OSError`` when the cache cannot be reached.
    """
    redis = cache.client()
    fresh = await redis.set(rkey, msgspec.msgpack.encode(StoredResponse(fingerprint)), nx=True, ex=PENDING_TTL_S)
    if fresh:
        return True, None
    stored = await redis.get(rkey)
    return False, msgspec.msgpack.decode(cast(bytes, stored), type=StoredResponse) if stored else None


async def answer_duplicate(send: Send, record: StoredResponse | None, fingerprint: str) -> None:
    """Answer a request whose key is taken: replay the kept response, 409 while in flight, 422 for another request."""
    if record is not None and record.fingerprint != fingerprint:
        await send_problem(send, ValidationFailed("This Idempotency-Key was used for a different request.",
                                                  code="idempotency_key_reused"))
    elif record is None or record.state == "pending":  # None: expired between SET and GET, the client retries
        await send_problem(send, Conflict("A request with this Idempotency-Key is being processed.",
                                          code="idempotency_in_progress"))
    else:
        headers = [(k.encode(), v.encode()) for k, v in record.headers]
        headers.append((b"idempotent-replayed", b"true"))
        await send({"type": "http.response.start", "status": record.status, "headers": headers})
        await send({"type": "http.response.body", "body": record.body})


async def keep(rkey: str, record: StoredResponse) -> None:
    """Store the response to replay for the configured time; on failure free the key instead."""
    try:
        await cache.client().set(rkey, msgspec.msgpack.encode(record), ex=get_settings().http.idempotency_ttl_s)
    except (RedisError, OSError):
        log.warning("idempotency: response for key could not be stored")
        await forget(rkey)


async def forget(rkey: str) -> None:
    """Free the key (the request failed or its response is not kept): a retry runs again."""
    try:
        await cache.client().delete(rkey)
    except (RedisError, OSError):
        log.warning("idempotency: key could not be released")


# --------------------------------------------------------------------------------------------------------------------
# The request
# --------------------------------------------------------------------------------------------------------------------


async def answer(app: ASGIApp, key: str, scope: Scope, receive: Receive, send: Send) -> None:
    """Run an API mutation that carries ``Idempotency-Key: key`` (``core.http.guard`` calls this for them).

    The first response is kept 24 h per caller; a retry gets it replayed. A duplicate arriving while the first is
    still running gets 409; the same key with a different request gets 422. Responses of 5xx are not kept (the
    client may retry them).
    """
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        detail = f"The Idempotency-Key header must have 1 to {MAX_KEY_LENGTH} characters."
        await send_problem(send, BadRequest(detail, code="invalid_idempotency_key"))
        return
    limit = get_settings().http.max_body_bytes
    body = await read_body(receive, limit)
    if body is None:
        await send_problem(send, PayloadTooLarge("The body is larger than %(limit)s bytes.",
                                                 params={"limit": limit}))
        return
    rkey, fingerprint = record_key(scope, key), fingerprint_of(scope, body)
    try:
        holder, record = await claim(rkey, fingerprint)
    except (RedisError, OSError):
        await send_problem(send, ServiceUnavailable(
            "Idempotency keys cannot be checked right now; retry shortly with the same key.",
            headers={"Retry-After": "1"}))
        return
    if not holder:
        await answer_duplicate(send, record, fingerprint)
        return
    capture = ResponseCapture(send, fingerprint)
    try:
        await app(scope, replaying(body, receive), capture.send)
    except BaseException:
        await forget(rkey)
        raise
    finished = capture.finished()
    await (keep(rkey, finished) if finished is not None else forget(rkey))
