"""Every error as ``application/problem+json`` (RFC 9457) with a stable ``code``; mapped here, in one place."""

from __future__ import annotations

import logging
import re
from typing import Any

import msgspec
from asyncpg.exceptions import (
    ConnectionDoesNotExistError,
    DataError,
    InterfaceError,
    InternalClientError,
    OperatorInterventionError,
    PostgresConnectionError,
    UniqueViolationError,
)
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core import i18n
from core.errors import AlreadyExists, InvalidParameter, SborError, ServiceUnavailable
from core.http.context import request_id
from core.i18n import N_
from core.validation import REQUIRED, body_errors, error_entry, truncated

log = logging.getLogger("core.http")

PROBLEM_JSON = "application/problem+json"

CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    503: "service_unavailable",
}
TITLES = {
    400: N_("Bad request"),
    401: N_("Authentication required"),
    403: N_("Permission denied"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    406: N_("Not acceptable"),
    409: N_("Conflict"),
    412: N_("Precondition failed"),
    413: N_("Payload too large"),
    415: N_("Unsupported media type"),
    422: N_("Validation failed"),
    429: N_("Too many requests"),
    500: N_("Internal server error"),
    503: N_("Service unavailable"),
}
_MISSING_PARAMETER = re.compile(r"^Missing required (?P<source>\w+) parameter '(?P<name>[^']*)'")


def problem(
    status: int, code: str, title: str, detail: str | None = None, headers: dict[str, str] | None = None,
    *, params: dict[str, Any] | None = None, **extra: Any,
) -> Response[dict[str, Any]]:
    """Build a problem+json response, ``title`` and ``detail`` (English) translated into the request's language.

    ``detail``'s ``%(name)s`` placeholders are filled from ``params``; the ``detail`` of each ``errors`` entry is
    translated too; the ``code`` never changes. ``Content-Language`` says which language was used.
    """
    body: dict[str, Any] = {"type": "about:blank", "title": i18n.gettext(title), "status": status, "code": code}
    if detail:
        body["detail"] = i18n.translate(detail, params)
    rid = request_id.get()
    if rid:
        body["request_id"] = rid
    body.update(extra)
    if isinstance(body.get("errors"), list):
        body["errors"] = localized_errors(body["errors"])
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON,
                    headers={**language_headers(), **(headers or {})})


def language_headers() -> dict[str, str]:
    """``Content-Language`` of a translated answer, and ``Vary`` so that caches keep one copy per language."""
    return {"Content-Language": i18n.get_locale(), "Vary": "Accept-Language"}


def localized_errors(errors: list[Any], error: SborError | None = None) -> list[Any]:
    """The entries of ``errors`` with their ``detail`` translated (other members as they are).

    An entry repeating the error's own (filled-in) detail gets the error's translation, placeholders and all.
    """
    own = error.localized() if error is not None else None
    return [{**e, "detail": own if own is not None and error is not None and e["detail"] == error.detail
             else i18n.gettext(e["detail"])}
            if isinstance(e, dict) and isinstance(e.get("detail"), str) else e for e in errors]


def handle_sbor_error(request: Request[Any, Any, Any], exc: SborError) -> Response[dict[str, Any]]:
    """Map a domain error."""
    if exc.status >= 500:
        log.error("%s: %s", exc.code, exc.detail)
    extra = dict(exc.extra)
    if isinstance(extra.get("errors"), list):
        extra["errors"] = localized_errors(extra["errors"], exc)
    return problem(exc.status, exc.code, exc.title, exc.message, exc.headers, params=exc.values, **extra)


def handle_unique_violation(request: Request[Any, Any, Any], exc: UniqueViolationError) -> Response[dict[str, Any]]:
    """A unique constraint or index refused a write, wherever in the request it happened: 409 ``already_exists``.

    The constraint's name is the ``constraint`` member (clients branch on it); the row's values are not echoed.
    """
    log.info("unique violation on %s %s: %s", request.method, request.url.path, exc.constraint_name)
    return handle_sbor_error(request, AlreadyExists(constraint=exc.constraint_name))


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    """Map Litestar's own errors (routing, parsing, validation of parameters and bodies)."""
    status = exc.status_code
    detail: str | None = exc.detail if isinstance(exc.detail, str) else None
    if status == 400 and _caused_by_decode_error(exc):
        return problem(400, "malformed_json", "Malformed JSON", "The body is not valid JSON: %(reason)s",
                       params={"reason": detail})
    if isinstance(exc, ValidationException):
        return _validation_problem(request, exc)
    if status == 500 and _caused_by(exc, msgspec.ValidationError):
        # Litestar blames the server when a failing body field shares its name with a dependency ("channels").
        errors = _body_errors(request, [])
        if errors:
            return _invalid_body(errors)
    if status >= 500:
        log.error("http %s: %s", status, detail)
        detail = None
    headers = dict(exc.headers or {})
    return problem(status, CODES.get(status, f"http_{status}"), TITLES.get(status, N_("Error")), detail, headers)


def _validation_problem(request: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    """Parameters wrong: 400 ``invalid_parameter`` naming each; body wrong: 422 ``validation_failed``, every field."""
    items = [i for i in exc.extra if isinstance(i, dict)] if isinstance(exc.extra, list) else []
    parameters: list[dict[str, str]] = []
    body_items: list[dict[str, Any]] = []
    for item in items:
        source = item.get("source")
        source = str(getattr(source, "value", source) or "body")  # Litestar passes an enum
        if source == "body":
            body_items.append(item)
        else:
            name = _wire_name(request, str(item.get("key", "")), source)
            parameters.append({"parameter": name, "in": source, "detail": str(item.get("message", "invalid"))})
    missing = _MISSING_PARAMETER.match(str(exc.detail or ""))
    if missing:
        parameters.append({"parameter": missing["name"], "in": missing["source"], "detail": REQUIRED})
    errors = _body_errors(request, body_items) if body_items else []
    if parameters:
        listed, _cut = truncated(parameters + errors)
        return handle_sbor_error(request, InvalidParameter("A parameter of the request is invalid.", errors=listed))
    if errors:
        return _invalid_body(errors)
    return problem(400, "bad_request", "Bad request", str(exc.detail or "") or None)


def _wire_name(request: Request[Any, Any, Any], key: str, source: str) -> str:
    """The name the client sent (``X-Key``) rather than the handler's argument (``x_key``)."""
    handler = request.scope.get("route_handler")
    field = handler.parsed_fn_signature.parameters.get(key) if handler is not None else None
    kwarg = getattr(field, "kwarg_definition", None)
    alias = getattr(kwarg, "name", None) if source in ("header", "cookie", "query") else None
    return str(alias or key)


def _invalid_body(errors: list[dict[str, str]]) -> Response[dict[str, Any]]:
    """422 ``validation_failed`` listing the body's errors (the first ``MAX_ERRORS``; ``errors_truncated`` if cut)."""
    listed, cut = truncated(errors)
    extra: dict[str, Any] = {"errors_truncated": True} if cut else {}
    return problem(422, "validation_failed", "Validation failed", "The request body is invalid.", errors=listed,
                   **extra)


def _body_errors(request: Request[Any, Any, Any], items: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Every failing field of the JSON body, re-validated against the handler's body type.

    Litestar (msgspec) reports only the first failure and a missing field as ``/data``; when the body type and the
    decoded JSON are at hand, walk them all; otherwise keep Litestar's report.
    """
    handler = request.scope.get("route_handler")
    field = handler.parsed_fn_signature.parameters.get("data") if handler is not None else None
    decoded = ScopeState.from_scope(request.scope).json
    if field is not None and decoded is not Empty and handler.resolve_data_dto() is None:
        errors = body_errors(decoded, field.annotation, dec_hook=handler.default_deserializer)
        if errors:
            return errors
    out = []
    for item in items:
        key = str(item.get("key", ""))
        parts = [] if key in ("", "data") else key.split(".")
        out.append(error_entry(parts, str(item.get("message", "invalid"))))
    return out


def _caused_by(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _caused_by_decode_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, msgspec.DecodeError) and not isinstance(seen, msgspec.ValidationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


# What a database or Redis outage raises: refused or reset connections, a server shutting down or starting up, a
# pooled connection found closed.
_OUTAGES = (ConnectionError, PostgresConnectionError, OperatorInterventionError, ConnectionDoesNotExistError,
            RedisConnectionError, RedisTimeoutError)


def _is_outage(exc: BaseException) -> bool:
    if isinstance(exc, _OUTAGES) or (isinstance(exc, InterfaceError) and "connection is closed" in str(exc)):
        return True
    # A pooled connection that received the server's "terminating connection" while idle and is handed out before
    # asyncpg noticed: asyncpg says "cannot switch to state …; another operation (2) is in progress".
    return isinstance(exc, InternalClientError) and str(exc).startswith("cannot switch to state")


def _dependency_down(exc: BaseException) -> BaseException | None:
    seen: BaseException | None = exc
    while seen is not None:
        if _is_outage(seen):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Anything else is our bug: log it with the request id, answer 500 without a stack trace.

    Except what the client's bytes caused while the body was decoded (invalid UTF-8, JSON nested past the decoder's
    depth: 400), a unique index (409), or a number too large for its column (422): those are not server errors.
    """
    unique = _caused_by(exc, UniqueViolationError)
    if isinstance(unique, UniqueViolationError):  # wrapped by a library or a plugin: still a conflict, not our bug
        return handle_unique_violation(request, unique)
    if isinstance(_caused_by(exc, UnicodeDecodeError), UnicodeDecodeError):
        return problem(400, "malformed_json", "Malformed JSON", "The body is not valid UTF-8.")
    deep = _caused_by(exc, RecursionError)
    if deep is not None and "deserializing" in str(deep):
        return problem(400, "json_too_deep", "Malformed JSON", "The JSON body is nested too deeply.")
    out_of_range = _caused_by(exc, DataError)
    if out_of_range is not None and "out of" in str(out_of_range) and "range" in str(out_of_range):
        log.info("value out of range on %s %s: %s", request.method, request.url.path, out_of_range)
        return problem(422, "value_out_of_range", "Validation failed", "A number in the request is out of range.")
    down = _dependency_down(exc)
    if down is not None:
        # PostgreSQL or Redis unreachable (restarting, failing over): the client should retry, the operator sees
        # /health at 503; the pools reconnect by themselves once it is back (bench/load.py measures both).
        log.warning("dependency unavailable on %s %s: %s: %s", request.method, request.url.path,
                    type(down).__name__, down)
        return handle_sbor_error(request, ServiceUnavailable(
            "A service this request needs is unavailable right now; retry shortly", headers={"Retry-After": "5"}))
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(500, "internal_error", "Internal server error", "An unexpected error occurred; it was logged.")


EXCEPTION_HANDLERS: dict[type[Exception], Any] = {
    SborError: handle_sbor_error,
    UniqueViolationError: handle_unique_violation,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
