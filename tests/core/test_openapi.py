"""The OpenAPI document tells the truth a generated client needs: auth, every error as problem+json, typed answers."""

from __future__ import annotations

from typing import Any

import pytest

from core.testing import all_plugins

METHODS = ("get", "post", "put", "patch", "delete")
PROBLEM = "application/problem+json"


@pytest.fixture
def schema(make_app: Any) -> dict[str, Any]:
    return make_app(all_plugins()).openapi_schema.to_schema()  # type: ignore[no-any-return]


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()
            if method in METHODS]


def test_bearer_auth_is_declared_once_and_on_every_operation(schema: dict[str, Any]) -> None:
    assert schema["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": schema["components"]["securitySchemes"]["bearer"]["description"]}
    by_id = {op["operationId"]: op for _p, _m, op in operations(schema)}
    assert by_id["join_event"]["security"] == [{"bearer": []}]
    assert by_id["list_events"]["security"] in ([], [{}, {"bearer": []}])
    assert by_id["login"]["security"] == []
    for path, method, op in operations(schema):
        assert "security" in op, f"{method.upper()} {path} does not say whether it needs a token"
        if op["security"] and {"bearer": []} in op["security"] and {} not in op["security"]:
            assert "401" in op["responses"], f"{method.upper()} {path} needs a token but declares no 401"


def test_every_error_is_the_one_problem_schema_and_litestars_400_is_gone(schema: dict[str, Any]) -> None:
    for path, method, op in operations(schema):
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")):
                assert list(response["content"]) == [PROBLEM], f"{method.upper()} {path} {status}"
                assert response["content"][PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}
        assert "429" in op["responses"], f"{method.upper()} {path}: the rate limit answers 429 anywhere"
        if method != "get":
            for status in ("413", "415"):
                assert status in op["responses"], f"{method.upper()} {path} lacks {status}"
    problem = schema["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "code"} <= set(problem["required"])
    assert problem["properties"]["errors"]["items"]["properties"]["pointer"]["type"] == "string"


def test_integer_path_ids_are_bounded_to_postgresql_integers(schema: dict[str, Any]) -> None:
    seen = 0
    for _path, _method, op in operations(schema):
        for p in op.get("parameters", []):
            if p["in"] == "path" and p["schema"].get("type") == "integer":
                assert p["schema"]["maximum"] == 2**31 - 1
                seen += 1
    assert seen > 10


def test_conditional_and_idempotent_requests_are_declared(schema: dict[str, Any]) -> None:
    by_id = {op["operationId"]: op for _p, _m, op in operations(schema)}
    update = by_id["update_event"]
    assert "412" in update["responses"]
    names = {p["name"] for p in update["parameters"] if p["in"] == "header"}
    assert {"If-Match", "Idempotency-Key"} <= names
    get_event = by_id["get_event"]
    assert "304" in get_event["responses"] and "ETag" in get_event["responses"]["200"]["headers"]
    assert "If-None-Match" in {p["name"] for p in get_event["parameters"] if p["in"] == "header"}
    assert "Idempotent-Replayed" in by_id["join_event"]["responses"]["200"]["headers"]


def test_component_names_are_plain_and_every_reference_resolves(schema: dict[str, Any]) -> None:
    import json
    import re

    names = set(schema["components"]["schemas"])
    prefixed = sorted(n for n in names if "_schemas_" in n or n.startswith(("plugins_", "core_")))
    assert not prefixed, f"two schemas share a class name (rename one, plugin-first): {prefixed}"
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(schema)))
    assert refs <= names, f"dangling references: {sorted(refs - names)}"
