"""The OpenAPI document as the server really behaves: bearer auth, problem+json errors, conditional requests.

Litestar documents what it can see in a handler's signature. What core adds around every handler (the token
check, the body and content-type guard, the rate limit, idempotency keys, error mapping) it cannot see, so this module
completes each operation from the handler's own facts, after Litestar built the document:

* security: ``bearer`` (a JWT access token) on operations taking ``principal``; public ones say ``security: []``;
  ``optional_principal`` accepts both;
* errors: every status core or the handler can answer, each with the one shared ``Problem`` schema
  (``application/problem+json``); Litestar's own ``400 application/json`` (never sent) is removed;
* headers: ``Idempotency-Key`` on mutations (``Idempotent-Replayed`` on replays), ``Retry-After`` on 429/503,
  and, for handlers that opt in, ``If-Match``/412 and ``ETag``/``If-None-Match``/304;
* integer path parameters bounded to PostgreSQL's integers (larger ids are 404 before any query); a number in the
  query may still overflow its column: 422 ``value_out_of_range``.

A handler declares what only it knows through ``opt``: ``opt={"if_match": True}`` (412 on a stale ``If-Match``),
``opt={"etag": True}`` (``ETag`` and 304), ``opt={"codes": {409: ["already_joined", ...]}}`` (its stable codes per
status, listed in the response's description), ``opt={"statuses": (410,)}`` (extra statuses it answers),
``opt={"idempotency_required": True}`` (a mutation the handler refuses with 428 ``idempotency_key_required``
without an ``Idempotency-Key``: the header is marked required).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.enums import ParamType
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import (
    Components,
    OpenAPI,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    Reference,
    Schema,
    SecurityScheme,
)
from litestar.routes import HTTPRoute

from core.http.middleware import INT4_MAX, MUTATING
from core.http.problems import PROBLEM_JSON, TITLES

BEARER = "bearer"
PROBLEM_REF = Reference(ref="#/components/schemas/Problem")

# The codes core itself answers with, per status (a handler's own codes come from its opt["codes"]).
CORE_CODES: dict[int, list[str]] = {
    400: ["malformed_json", "json_too_deep", "invalid_parameter", "invalid_idempotency_key", "bad_request"],
    401: ["not_authenticated", "token_invalid", "token_expired", "session_revoked", "account_inactive"],
    403: ["permission_denied"],
    404: ["not_found"],
    409: ["conflict", "already_exists", "idempotency_key_in_use"],
    412: ["etag_mismatch"],
    413: ["payload_too_large"],
    415: ["unsupported_media_type"],
    422: ["validation_failed", "value_out_of_range", "idempotency_key_reused"],
    429: ["rate_limited"],
    503: ["service_unavailable"],
}

PROBLEM_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    description="An error (RFC 9457). Branch on `code`: it never changes; `title` and `detail` are for people.",
    required=["type", "title", "status", "code"],
    properties={
        "type": Schema(type=OpenAPIType.STRING, description="always about:blank"),
        "title": Schema(type=OpenAPIType.STRING),
        "status": Schema(type=OpenAPIType.INTEGER),
        "code": Schema(type=OpenAPIType.STRING, description="stable, machine-readable: see each response"),
        "detail": Schema(type=OpenAPIType.STRING),
        "request_id": Schema(type=OpenAPIType.STRING, description="quote it when reporting a problem"),
        "errors": Schema(
            type=OpenAPIType.ARRAY,
            description="every invalid field (a JSON pointer into the body) or parameter",
            items=Schema(type=OpenAPIType.OBJECT, required=["detail"], properties={
                "pointer": Schema(type=OpenAPIType.STRING, description="e.g. /venue/latitude"),
                "parameter": Schema(type=OpenAPIType.STRING),
                "in": Schema(type=OpenAPIType.STRING, description="query, path, header or cookie"),
                "detail": Schema(type=OpenAPIType.STRING),
            }),
        ),
        "errors_truncated": Schema(type=OpenAPIType.BOOLEAN),
    },
)

_PATH_PARAM = re.compile(r"{(\w+)(?::\w+)?}")


class _RefinedOpenAPIPlugin(OpenAPIPlugin):
    """Litestar's document builder, refined after each build (Litestar offers no public post-build hook)."""

    __slots__ = ()

    def _build_openapi(self) -> OpenAPI:
        return refine(super()._build_openapi(), self.app)


def install(app: Litestar) -> None:
    """Make the app's OpenAPI document complete: refine it each time Litestar builds it (lazily, on first use)."""
    plugin = app.plugins.get(OpenAPIPlugin)
    plugin.__class__ = _RefinedOpenAPIPlugin  # same slots: only the build step changes


def refine(spec: OpenAPI, app: Litestar) -> OpenAPI:
    """Add security, error responses and headers to every operation of ``spec`` from its handler."""
    components = spec.components if isinstance(spec.components, Components) else Components()
    components.schemas = {**(components.schemas or {}), "Problem": PROBLEM_SCHEMA}
    components.security_schemes = {**(components.security_schemes or {}), BEARER: SecurityScheme(
        type="http", scheme="bearer", bearer_format="JWT",
        description="The access token from /api/v1/auth (sign-in or refresh): `Authorization: Bearer <token>`.")}
    spec.components = components
    for path, method, handler in _handlers(app):
        item = (spec.paths or {}).get(path)
        operation = getattr(item, method.lower(), None) if item is not None else None
        if isinstance(operation, Operation):
            _refine_operation(operation, method, handler)
    return spec


def _handlers(app: Litestar) -> Iterator[tuple[str, str, HTTPRouteHandler]]:
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        path = _PATH_PARAM.sub(r"{\1}", route.path)
        for handler in route.route_handlers:
            if not handler.include_in_schema:
                continue
            for method in handler.http_methods:
                yield path, method, handler


def _refine_operation(op: Operation, method: str, handler: HTTPRouteHandler) -> None:
    params = set(handler.parsed_fn_signature.parameters)
    guards = [getattr(g, "__name__", "") for g in handler.resolve_guards()]
    signed_in = "principal" in params or any(g.startswith("requires_") for g in guards)
    optional = "optional_principal" in params
    opt: Mapping[str, Any] = handler.opt or {}
    codes: Mapping[int, Iterable[str]] = opt.get("codes", {})
    parameters = [p for p in (op.parameters or []) if isinstance(p, Parameter)]
    statuses: set[int] = {429}
    if signed_in:
        op.security = [{BEARER: []}]
        statuses |= {401, 403}
    elif optional:
        op.security = [{}, {BEARER: []}]
        statuses.add(401)
    else:
        op.security = []
    if any(p.param_in == "path" for p in parameters):
        statuses.add(404)
        for p in parameters:
            schema = p.schema
            if p.param_in == "path" and isinstance(schema, Schema) and schema.type == OpenAPIType.INTEGER:
                schema.maximum = INT4_MAX
                schema.minimum = schema.minimum if schema.minimum is not None else -INT4_MAX - 1
    if any(p.param_in in ("query", "header", "cookie") for p in parameters):
        statuses.add(400)
    if any(p.param_in == "query" and _numeric(p.schema) for p in parameters):
        statuses.add(422)  # a number past its column's range (value_out_of_range), whatever the method
    if method in MUTATING:
        statuses |= {409, 413, 415, 503}
        if "data" in params:
            statuses |= {400, 422}
        required = bool(opt.get("idempotency_required"))
        parameters.append(_header("Idempotency-Key", "Repeat a mutation safely: the first response is replayed to "
                                  "a retry with the same key (at most 255 characters; kept 24 h per caller)."
                                  + (" Required here: 428 without it." if required else ""), required=required))
        if required:
            statuses.add(428)
            codes = {**codes, 428: ["idempotency_key_required"]}
        statuses |= {400, 422}  # a malformed Idempotency-Key; one reused for another request
    if opt.get("if_match"):
        statuses.add(412)
        parameters.append(_header("If-Match", "The ETag you read: refused with 412 if the object changed since."))
    if opt.get("etag"):
        parameters.append(_header("If-None-Match", "The ETag you hold: 304 with no body when it is still current."))
    statuses |= set(opt.get("statuses", ()))
    unique: dict[tuple[str, str], Parameter | Reference] = {}
    for p in parameters:
        unique.setdefault((p.name.lower(), str(p.param_in)), p)
    op.parameters = list(unique.values())
    responses = dict(op.responses or {})
    responses.pop("400", None)  # Litestar's ValidationException shape, which the server never sends
    ok = [code for code in responses if code.startswith("2")]
    for code in ok:
        response = responses[code]
        if isinstance(response, OpenAPIResponse):
            _add_success_headers(response, method, bool(opt.get("etag")))
    if opt.get("etag"):
        responses["304"] = OpenAPIResponse(description="Not modified: your copy (If-None-Match) is current.",
                                           headers={"ETag": _response_header("The entity tag.")})
    for status in sorted(statuses | {int(s) for s in codes}):
        listed = list(dict.fromkeys([*codes.get(status, ()), *CORE_CODES.get(status, [])]))
        responses[str(status)] = _problem_response(status, listed)
    op.responses = responses


def _numeric(schema: Schema | Reference | None) -> bool:
    """Whether a parameter's schema is (or may be) a number."""
    if not isinstance(schema, Schema):
        return False
    types = schema.type if isinstance(schema.type, list) else [schema.type]
    return any(t in (OpenAPIType.INTEGER, OpenAPIType.NUMBER) for t in types) or any(
        _numeric(option) for option in [*(schema.one_of or []), *(schema.any_of or [])])


def _problem_response(status: int, codes: list[str]) -> OpenAPIResponse:
    title = {**TITLES, 428: "Precondition required"}.get(status, "Error")
    description = f"{title}. Codes: {', '.join(f'`{c}`' for c in codes)}." if codes else f"{title}."
    headers: dict[str, OpenAPIHeader | Reference] | None = None
    if status in (429, 503):
        headers = {"Retry-After": _response_header("Seconds to wait before retrying.")}
    return OpenAPIResponse(description=description, headers=headers,
                           content={PROBLEM_JSON: OpenAPIMediaType(schema=PROBLEM_REF)})


def _add_success_headers(response: OpenAPIResponse, method: str, etag: bool) -> None:
    headers = dict(response.headers or {})
    if method in MUTATING:
        headers["Idempotent-Replayed"] = _response_header("`true` when this is the stored answer to an earlier "
                                                          "request with the same Idempotency-Key.")
    if etag:
        headers["ETag"] = _response_header("The entity tag: send it back as If-None-Match or If-Match.")
    response.headers = headers or response.headers


def _header(name: str, description: str, *, required: bool = False) -> Parameter:
    key = name == "Idempotency-Key"
    return Parameter(name=name, param_in=ParamType.HEADER, required=required, description=description,
                     schema=Schema(type=OpenAPIType.STRING, max_length=255 if key else None,
                                   min_length=1 if key and required else None))


def _response_header(description: str) -> OpenAPIHeader:
    return OpenAPIHeader(description=description, schema=Schema(type=OpenAPIType.STRING))
