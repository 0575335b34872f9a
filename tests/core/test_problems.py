"""Core's error mapping on an app of the test's own: every failing body field by pointer, parameters by name."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import httpx
import msgspec
import pytest
from litestar import Litestar, get, post
from litestar.di import Provide
from litestar.params import HeaderParameter, JSONBody, QueryParameter
from msgspec import Meta

from core.http.params import Limit
from core.http.problems import EXCEPTION_HANDLERS

PROBLEM = "application/problem+json"
MAX_BODY = 4096


class Venue(msgspec.Struct, forbid_unknown_fields=True):
    """A place."""

    latitude: Annotated[float, Meta(ge=-90, le=90)]
    longitude: Annotated[float, Meta(ge=-180, le=180)]


class ThingCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A body with every kind of rule."""

    title: Annotated[str, Meta(min_length=1, max_length=10)]
    starts_at: datetime
    capacity: Annotated[int, Meta(ge=1, le=1000)]
    slug: Annotated[str, Meta(pattern="^[a-z-]+$")]
    tags: Annotated[list[Annotated[str, Meta(max_length=5)]], Meta(max_length=3)] = []
    venue: Venue | None = None
    note: str | msgspec.UnsetType = msgspec.UNSET


class Ends(msgspec.Struct):
    """A rule comparing fields (in code, as STYLE.md says)."""

    first: int
    last: int

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError("last must not be before first")


@post("/things", operation_id="create_thing")
async def create_thing(data: JSONBody[ThingCreate]) -> dict[str, str]:
    """Accept a thing."""
    return {"title": data.title}


@post("/batches", operation_id="create_batch")
async def create_batch(data: JSONBody[list[Ends]]) -> dict[str, int]:
    """Accept a list."""
    return {"n": len(data)}


class Subscription(msgspec.Struct):
    """A body field named like an app-wide dependency (core's real-time plugin provides ``channels``)."""

    channels: list[str]


@post("/subscriptions", operation_id="create_subscription")
async def create_subscription(data: JSONBody[Subscription]) -> dict[str, int]:
    """Accept a subscription."""
    return {"n": len(data.channels)}


@get("/things", operation_id="list_things")
async def list_things(limit: Limit = 20, q: Annotated[str | None, QueryParameter(max_length=5)] = None,
                      key: Annotated[int, HeaderParameter(name="X-Key", required=False)] = 0) -> dict[str, int]:
    """A list with typed parameters."""
    return {"limit": limit}


@get("/needs-q", operation_id="needs_q")
async def needs_q(q: Annotated[str, QueryParameter()]) -> dict[str, str]:
    """A required query parameter."""
    return {"q": q}


@pytest.fixture
async def api():
    app = Litestar([create_thing, create_batch, create_subscription, list_things, needs_q],
                   exception_handlers=EXCEPTION_HANDLERS, request_max_body_size=MAX_BODY, debug=False,
                   logging_config=None, dependencies={"channels": Provide(lambda: "bus", sync_to_thread=False)})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


GOOD = {"title": "Picnic", "starts_at": "2026-06-01T12:00:00Z", "capacity": 10, "slug": "picnic"}


def _problem(r: httpx.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["code"] == code and body["status"] == status
    return body


async def test_a_valid_body_passes(api) -> None:
    r = await api.post("/things", json={**GOOD, "tags": ["a"], "venue": {"latitude": 1, "longitude": 2}})
    assert r.status_code == 201 and r.json() == {"title": "Picnic"}


async def test_three_bad_fields_and_two_missing_are_all_listed(api) -> None:
    r = await api.post("/things", json={"capacity": 0, "slug": "Not A Slug!", "tags": ["toolong"]})
    body = _problem(r, 422, "validation_failed")
    assert body["errors"] == [
        {"pointer": "/title", "detail": "required"},
        {"pointer": "/starts_at", "detail": "required"},
        {"pointer": "/capacity", "detail": "Expected `int` >= 1"},
        {"pointer": "/slug", "detail": "Expected `str` matching regex '^[a-z-]+$'"},
        {"pointer": "/tags/0", "detail": "Expected `str` of length <= 5"},
    ]
    r = await api.post("/things", json={"title": "x" * 11, "capacity": "many", "slug": 5, "tags": "no"})
    errors = _problem(r, 422, "validation_failed")["errors"]
    assert [e["pointer"] for e in errors] == ["/title", "/starts_at", "/capacity", "/slug", "/tags"]
    assert errors[1]["detail"] == "required"
    assert "length <= 10" in errors[0]["detail"]


async def test_missing_fields_are_named_not_reported_as_data(api) -> None:
    body = _problem(await api.post("/things", json={}), 422, "validation_failed")
    assert body["errors"] == [{"pointer": f"/{name}", "detail": "required"}
                              for name in ("title", "starts_at", "capacity", "slug")]


async def test_nested_and_list_pointers(api) -> None:
    r = await api.post("/things", json={**GOOD, "tags": ["ok", "fine", "toolong"],
                                        "venue": {"latitude": 91, "longitude": "east"}})
    errors = _problem(r, 422, "validation_failed")["errors"]
    assert errors == [
        {"pointer": "/tags/2", "detail": "Expected `str` of length <= 5"},
        {"pointer": "/venue/latitude", "detail": "Expected `float` <= 90.0"},
        {"pointer": "/venue/longitude", "detail": "Expected `float`, got `str`"},
    ]


async def test_a_list_over_its_length_is_one_error_not_one_per_item(api) -> None:
    r = await api.post("/things", json={**GOOD, "tags": ["ok", "fine", "toolong", "x"]})
    assert _problem(r, 422, "validation_failed")["errors"] == [
        {"pointer": "/tags", "detail": "Expected `array` of length <= 3"}]


async def test_unknown_fields_are_listed_with_the_others(api) -> None:
    r = await api.post("/things", json={**GOOD, "capacity": 0, "colour": "red", "venue": {"latitude": 1,
                                                                                         "longitude": 1, "alt": 3}})
    errors = _problem(r, 422, "validation_failed")["errors"]
    assert {"pointer": "/capacity", "detail": "Expected `int` >= 1"} in errors
    assert {"pointer": "/colour", "detail": "unknown field"} in errors
    assert {"pointer": "/venue/alt", "detail": "unknown field"} in errors
    assert len(errors) == 3


async def test_wrong_root_type_and_rules_comparing_fields(api) -> None:
    errors = _problem(await api.post("/things", json=[1, 2]), 422, "validation_failed")["errors"]
    assert errors == [{"pointer": "", "detail": "Expected `object`, got `array`"}]
    r = await api.post("/batches", json=[{"first": 1, "last": 2}, {"first": 5, "last": 1}, {"first": "x"}])
    errors = _problem(r, 422, "validation_failed")["errors"]
    assert errors == [
        {"pointer": "/1", "detail": "last must not be before first"},
        {"pointer": "/2/first", "detail": "Expected `int`, got `str`"},
        {"pointer": "/2/last", "detail": "required"},
    ]


async def test_a_field_named_like_a_dependency_is_a_422_not_a_500(api) -> None:
    errors = _problem(await api.post("/subscriptions", json={"channels": "email"}), 422, "validation_failed")["errors"]
    assert errors == [{"pointer": "/channels", "detail": "Expected `array`, got `str`"}]
    assert (await api.post("/subscriptions", json={"channels": ["a"]})).status_code == 201


async def test_pointers_escape_slash_and_tilde(api) -> None:
    errors = _problem(await api.post("/things", json={**GOOD, "a/b~c": 1}), 422, "validation_failed")["errors"]
    assert errors == [{"pointer": "/a~1b~0c", "detail": "unknown field"}]


async def test_malformed_json_is_still_400(api) -> None:
    r = await api.post("/things", content=b'{"title": ', headers={"content-type": "application/json"})
    body = _problem(r, 400, "malformed_json")
    assert "errors" not in body


async def test_huge_payload_is_still_413(api) -> None:
    r = await api.post("/things", content=b'{"title": "' + b"x" * MAX_BODY + b'"}',
                       headers={"content-type": "application/json"})
    _problem(r, 413, "payload_too_large")


@pytest.mark.parametrize(("params", "headers", "named"), [
    ({"limit": "0"}, {}, ["limit"]),
    ({"limit": "201"}, {}, ["limit"]),
    ({"limit": "lots"}, {}, ["limit"]),
    ({"q": "toolong"}, {}, ["q"]),
    ({"limit": "0", "q": "toolong"}, {"X-Key": "abc"}, ["q", "X-Key", "limit"]),
])
async def test_parameter_errors_are_400_naming_each_parameter(api, params, headers, named) -> None:
    body = _problem(await api.get("/things", params=params, headers=headers), 400, "invalid_parameter")
    assert sorted(e["parameter"] for e in body["errors"]) == sorted(named)
    assert all(e["in"] == ("header" if e["parameter"] == "X-Key" else "query") for e in body["errors"])
    assert all(e["detail"] for e in body["errors"])


async def test_a_missing_required_parameter_is_named(api) -> None:
    body = _problem(await api.get("/needs-q"), 400, "invalid_parameter")
    assert body["errors"] == [{"parameter": "q", "in": "query", "detail": "required"}]
    assert (await api.get("/needs-q", params={"q": "x"})).status_code == 200


async def test_a_body_with_very_many_errors_lists_the_first_fifty(api) -> None:
    r = await api.post("/batches", json=[{"first": "x"}] * 60)  # two errors each: a wrong type and a missing field
    body = _problem(r, 422, "validation_failed")
    assert len(body["errors"]) == 50 and body["errors_truncated"] is True
    assert body["errors"][:2] == [{"pointer": "/0/first", "detail": "Expected `int`, got `str`"},
                                  {"pointer": "/0/last", "detail": "required"}]


def test_a_huge_list_over_its_length_is_one_error_found_fast() -> None:
    import time

    from core.validation import body_errors

    value = {**GOOD, "tags": [1] * 200_000}
    started = time.perf_counter()
    errors = body_errors(value, ThingCreate)
    assert time.perf_counter() - started < 0.5  # was seconds: every item re-validated and reported
    assert errors == [{"pointer": "/tags", "detail": "Expected `array` of length <= 3"}]
