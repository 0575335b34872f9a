"""Every error as ``application/problem+json`` (RFC 9457) with a stable ``code``; mapped here, in one place."""

from __future__ import annotations

import logging
import re
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from core.errors import SborError
from core.http.context import request_id

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
    400: "Bad request",
    401: "Authentication required",
    403: "Permission denied",
    404: "Not found",
    405: "Method not allowed",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Validation failed",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}
_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")


def problem(
    status: int, code: str, title: str, detail: str | None = None, headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    """Build a problem+json response."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "code": code}
    if detail:
        body["detail"] = detail
    rid = request_id.get()
    if rid:
        body["request_id"] = rid
    body.update(extra)
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON, headers=headers or {})


def to_pointer(path: str) -> str:
    """Turn msgspec's ``$.a[0].b`` / Litestar's key into a JSON pointer ``/a/0/b``."""
    path = path.lstrip("$")
    parts = [p for p in re.split(r"\.|\[|\]", path) if p]
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _field_errors(exc: ValidationException) -> list[dict[str, str]]:
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "invalid"))
        source = item.get("source")
        source = getattr(source, "value", source)  # Litestar passes an enum
        key = item.get("key")
        m = _AT.search(message)
        if m:
            message = message[: m.start()]
            pointer = to_pointer(m.group("path"))
        elif key:
            pointer = to_pointer(str(key))
        else:
            pointer = ""
        entry = {"pointer": pointer, "detail": message}
        if source and source != "body":
            entry = {"parameter": str(key or ""), "in": str(source), "detail": message}
        errors.append(entry)
    return errors


def handle_sbor_error(request: Request[Any, Any, Any], exc: SborError) -> Response[dict[str, Any]]:
    """Map a domain error."""
    if exc.status >= 500:
        log.error("%s: %s", exc.code, exc.detail)
    return problem(exc.status, exc.code, exc.title, exc.detail, exc.headers, **exc.extra)


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    """Map Litestar's own errors (routing, parsing, validation of parameters and bodies)."""
    status = exc.status_code
    detail: str | None = exc.detail if isinstance(exc.detail, str) else None
    if isinstance(exc, ValidationException):
        errors = _field_errors(exc)
        if _caused_by_decode_error(exc):
            return problem(400, "malformed_json", "Malformed JSON", f"The body is not valid JSON: {detail}")
        if errors and all("pointer" in e for e in errors):
            return problem(422, "validation_failed", "Validation failed", "The request body is invalid.",
                           errors=errors)
        # Parameters (query, path, header, cookie): same status as a domain check of a parameter, its own code.
        return problem(422, "invalid_parameter", "Invalid parameter", detail, errors=errors)
    if status == 400 and _caused_by_decode_error(exc):
        return problem(400, "malformed_json", "Malformed JSON", f"The body is not valid JSON: {detail}")
    if status >= 500:
        log.error("http %s: %s", status, detail)
        detail = None
    headers = dict(exc.headers or {})
    return problem(status, CODES.get(status, f"http_{status}"), TITLES.get(status, "Error"), detail, headers)


def _caused_by_decode_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, msgspec.DecodeError) and not isinstance(seen, msgspec.ValidationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Anything else is our bug: log it with the request id, answer 500 without a stack trace."""
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(500, "internal_error", "Internal server error", "An unexpected error occurred; it was logged.")


EXCEPTION_HANDLERS: dict[type[Exception], Any] = {
    SborError: handle_sbor_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
