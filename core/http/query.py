"""A query string parsed once into a msgspec struct: the dependency (400 naming each bad parameter), its OpenAPI.

A list with many filters (the events feed) declares them as one struct with msgspec constraints and takes it as a
dependency; the OpenAPI document still lists each parameter::

    @get("/", dependencies={"q": Provide(query.provider(FeedParams), sync_to_thread=False)},
         operation_class=query.operation_with(FeedParams))
    async def list_events(self, q: Annotated[FeedParams, Dependency(skip_validation=True)]) -> Page[FeedItem]: ...
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.openapi.spec import OpenAPIType, Operation, Parameter, Schema

from core.errors import InvalidParameter
from core.validation import body_errors

S = TypeVar("S", bound=msgspec.Struct)
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_KEYS = {"type", "format", "enum", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
         "minLength", "maxLength", "description", "default"}


def provider(struct: type[S], codes: dict[str, str] | None = None) -> Callable[[Request[Any, Any, Any]], S]:
    """A dependency building ``struct`` from the query; every bad parameter is listed in one 400.

    ``codes`` gives the problem's ``code`` when the first bad parameter is one of them (default ``invalid_parameter``).
    """
    fields = {f.encode_name: f for f in msgspec.structs.fields(struct)}

    def invalid(errors: list[dict[str, str]]) -> InvalidParameter:
        first = errors[0]["parameter"] if errors else ""
        return InvalidParameter("Invalid query parameter %(first)r", params={"first": first},
                                code=(codes or {}).get(first, "invalid_parameter"), errors=errors)

    def provide(request: Request[Any, Any, Any]) -> S:
        values = {k: request.query_params.get(k) for k in request.query_params}
        try:
            parsed = msgspec.convert(values, struct, strict=False)
        except msgspec.ValidationError:
            raise invalid([{"parameter": e["pointer"].lstrip("/").split("/")[0], "in": "query",
                            "detail": e["detail"]} for e in body_errors(values, struct)]) from None
        # msgspec's lax mode reads the text "null" as None: a query string has no null, so "null" is the text itself
        # (a search for the word) or, where no text fits (an enum, a number), an invalid value, never "not given".
        errors = []
        for name, value in values.items():
            field = fields.get(name)
            if value != "null" or field is None:
                continue
            try:
                setattr(parsed, field.name, msgspec.convert(value, field.type, strict=True))
            except msgspec.ValidationError as exc:
                errors.append({"parameter": name, "in": "query", "detail": str(exc)})
        if errors:
            raise invalid(errors)
        return parsed

    return provide


def _schema(js: dict[str, Any]) -> Schema:
    options = [o for o in js.get("anyOf", []) if o.get("type") != "null"]
    base = {**(options[0] if len(options) == 1 else {}), **{k: v for k, v in js.items() if k != "anyOf"}}
    kwargs = {_CAMEL.sub("_", k).lower(): v for k, v in base.items() if k in _KEYS}
    if "type" in kwargs:
        kwargs["type"] = OpenAPIType(kwargs["type"])
    return Schema(**kwargs)


def parameters(struct: type[msgspec.Struct]) -> list[Parameter]:
    """The struct's fields as OpenAPI query parameters."""
    (_, components) = msgspec.json.schema_components([struct])
    spec = components[struct.__name__]
    required = set(spec.get("required", []))
    return [Parameter(name=name, param_in="query", required=name in required, schema=_schema(js),
                      description=_schema(js).description)
            for name, js in spec["properties"].items()]


def operation_with(struct: type[msgspec.Struct]) -> type[Operation]:
    """An ``operation_class`` for a route whose query is ``struct`` (Litestar cannot see inside the dependency)."""

    @dataclass
    class QueryOperation(Operation):
        def __post_init__(self) -> None:
            self.parameters = [*(self.parameters or []), *parameters(struct)]

    QueryOperation.__name__ = f"{struct.__name__}Operation"
    return QueryOperation
