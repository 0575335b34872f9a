"""The API's route-level checks, in one layer: ids, body types, the per-address limit and ``Idempotency-Key``.

Ids out of range are 404, bodies that are not JSON 415, callers past the limit 429; mutations that carry an
``Idempotency-Key`` go through ``core.http.idempotency``. It runs after routing (it reads the route's path parameters
and ``opt``), inside the edge (``core.http.middleware``).
"""

from __future__ import annotations

from core import ratelimit
from core.errors import NotFound, RateLimited, UnsupportedMediaType
from core.http import idempotency
from core.http.context import client_address
from core.http.middleware import (
    BODY_TYPES_OPT,
    INT4_MAX,
    JSON_TYPES,
    MUTATING,
    ASGIApp,
    Receive,
    Scope,
    Send,
    client_ip,
    send_problem,
)
from core.settings import get_settings


def _accepts(scope: Scope, ctype: str) -> bool:
    """JSON everywhere; other types only where the route handler lists them in ``opt["body_types"]``."""
    if JSON_TYPES.match(ctype):
        return True
    handler = scope.get("route_handler")
    allowed = handler.opt.get(BODY_TYPES_OPT, ()) if handler is not None else ()
    return any(ctype == t or (t.endswith("/*") and ctype.startswith(t[:-1])) for t in allowed)


def _out_of_range_id(path_params: dict[str, object]) -> bool:
    """An integer path parameter no row can have (PostgreSQL integer ids): answered 404 before any query runs."""
    return any(isinstance(v, int) and not -INT4_MAX - 1 <= v <= INT4_MAX for v in path_params.values())


def api_guard_middleware(app: ASGIApp) -> ASGIApp:
    """For ``/api/``: the checks above, in that order. Other paths and WebSocket connections pass straight through."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await app(scope, receive, send)
            return
        params = scope.get("path_params")
        if params and _out_of_range_id(params):
            await send_problem(send, NotFound("No such object."))
            return
        mutating = scope["method"] in MUTATING
        ctype = length = key = None
        if mutating:
            for k, v in scope["headers"]:
                if k == b"content-type" and ctype is None:
                    ctype = v.decode("latin-1").split(";")[0].strip().lower()
                elif k == b"content-length" and length is None:
                    length = v.decode("latin-1")
                elif k == b"idempotency-key" and key is None:
                    key = v.decode("latin-1")
            if (ctype or length not in (None, "0")) and not _accepts(scope, ctype or ""):
                await send_problem(send, UnsupportedMediaType(
                    "Send the body as application/json, not %(content_type)s." if ctype else
                    "Send the body as application/json, not without a content type.",
                    params={"content_type": ctype or ""}))
                return
        http = get_settings().http
        if http.rate_limit > 0:
            try:
                await ratelimit.hit_batched("api", client_address.get() or client_ip(scope), limit=http.rate_limit,
                                            window_s=http.rate_limit_window_s)
            except RateLimited as exc:
                await send_problem(send, exc)
                return
        if key is None:
            await app(scope, receive, send)
        else:
            await idempotency.answer(app, key, scope, receive, send)

    return middleware
