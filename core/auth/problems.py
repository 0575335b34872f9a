"""OpenAPI documentation of the auth and users error answers (problem+json with a stable ``code``), with examples."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example


class Problem(msgspec.Struct):
    """An RFC 9457 problem: branch on ``code``."""

    type: str
    title: str
    status: int
    code: str
    detail: str | None = None
    request_id: str | None = None


TITLES = {400: "Bad request", 401: "Authentication required", 403: "Permission denied", 404: "Not found",
          409: "Conflict", 422: "Validation failed", 429: "Too many requests", 503: "Service unavailable"}


def problems(**by_status: list[str]) -> dict[int, ResponseSpec]:
    """``responses=problems(s401=["invalid_credentials", ...])``: one documented response per status with examples."""
    out: dict[int, ResponseSpec] = {}
    for key, codes in by_status.items():
        status = int(key.lstrip("s"))
        examples = [Example(summary=code, value={"type": "about:blank", "title": TITLES.get(status, "Error"),
                                                 "status": status, "code": code}) for code in codes]
        out[status] = ResponseSpec(data_container=Problem, description=f"{TITLES.get(status, 'Error')}: "
                                   + ", ".join(f"`{c}`" for c in codes), media_type="application/problem+json",
                                   examples=examples, generate_examples=False)
    return out


def merged(*parts: dict[int, ResponseSpec]) -> dict[int, Any]:
    """Combine several ``problems(...)`` dicts."""
    out: dict[int, Any] = {}
    for part in parts:
        out.update(part)
    return out
