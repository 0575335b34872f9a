"""The API's contract for every plugin: problem+json errors, body checks, idempotency, rate limits, request ids."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from core.settings import get_settings

PROBLEM = "application/problem+json"
URL = "/api/v1/hello/greetings"


@pytest.fixture
async def api(make_client, make_user, auth_headers):
    client = await make_client(["hello"])
    client.headers.update(await auth_headers(await make_user()))  # greeting needs a signed-in caller
    return client


async def test_malformed_json_is_a_400_problem(api) -> None:
    r = await api.post(URL, content=b'{"name": ', headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["code"] == "malformed_json"
    assert body["status"] == 400
    assert "Traceback" not in r.text


async def test_wrong_content_type_is_a_415_problem(api) -> None:
    r = await api.post(URL, content=b"name=Ann", headers={"content-type": "text/plain"})
    assert r.status_code == 415
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["code"] == "unsupported_media_type"


async def test_validation_errors_list_fields_by_json_pointer(api) -> None:
    r = await api.post(URL, json={"name": 5})
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "validation_failed"
    assert body["errors"][0]["pointer"] == "/name"
    r = await api.post(URL, json={})
    assert r.status_code == 422
    assert r.json()["errors"] == [{"pointer": "/name", "detail": "required"}]


async def test_domain_validation_error_is_a_problem(make_client, make_user, auth_headers) -> None:
    # A rule from the operator's settings is checked in code and reported like a schema's.
    api = await make_client(["hello"], settings={"hello": {"max_length": 10}})
    r = await api.post(URL, json={"name": "x" * 11}, headers=await auth_headers(await make_user()))
    assert r.status_code == 422
    assert r.json()["errors"] == [{"pointer": "/name", "detail": "At most 10 characters"}]


async def test_huge_payload_is_a_413_problem(api) -> None:
    size = get_settings().http.max_body_bytes + 10
    r = await api.post(URL, content=b'{"name": "' + b"x" * size + b'"}', headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["code"] == "payload_too_large"


async def test_unknown_route_and_method_are_problems(api) -> None:
    r = await api.get("/api/v1/nowhere")
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"
    r = await api.delete(URL)
    assert r.status_code == 405
    assert r.json()["code"] == "method_not_allowed"


async def test_request_id_is_echoed_or_made(api) -> None:
    r = await api.get(URL, headers={"x-request-id": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = await api.get(URL, headers={"x-request-id": "bad id with spaces"})
    assert r.headers["x-request-id"] != "bad id with spaces"
    assert len(r.headers["x-request-id"]) == 32
    r = await api.get("/api/v1/nowhere", headers={"x-request-id": "trace-me"})
    assert r.json()["request_id"] == "trace-me"


async def test_idempotency_key_replays_the_first_response(api) -> None:
    headers = {"Idempotency-Key": "k-1"}
    first = await api.post(URL, json={"name": "Ann"}, headers=headers)
    again = await api.post(URL, json={"name": "Ann"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    listed = (await api.get(URL)).json()["items"]
    assert len(listed) == 1  # acted once


async def test_idempotency_key_with_another_body_is_refused(api) -> None:
    await api.post(URL, json={"name": "Ann"}, headers={"Idempotency-Key": "k-2"})
    r = await api.post(URL, json={"name": "Bob"}, headers={"Idempotency-Key": "k-2"})
    assert r.status_code == 422
    assert r.json()["code"] == "idempotency_key_reused"


async def test_idempotency_key_is_scoped_to_the_caller(make_client, make_user, auth_headers) -> None:
    a = await make_client(["hello"], client_ip="10.0.0.1")
    b = await make_client(["hello"], client_ip="10.0.0.1")
    a.headers.update(await auth_headers(await make_user()))
    b.headers.update(await auth_headers(await make_user()))
    r1 = await a.post(URL, json={"name": "Ann"}, headers={"Idempotency-Key": "same"})
    r2 = await b.post(URL, json={"name": "Ann"}, headers={"Idempotency-Key": "same"})
    assert r1.json()["id"] != r2.json()["id"]
    assert "idempotent-replayed" not in r2.headers


async def test_concurrent_duplicates_one_acts_the_other_gets_409(api) -> None:
    headers = {"Idempotency-Key": "race"}
    results = await asyncio.gather(*[api.post(URL, json={"name": "Ann"}, headers=headers) for _ in range(5)])
    codes = sorted(r.status_code for r in results)
    assert codes.count(201) >= 1
    assert set(codes) <= {201, 409}
    assert all(r.json()["code"] == "idempotency_in_progress" for r in results if r.status_code == 409)
    assert len((await api.get(URL)).json()["items"]) == 1


async def test_rate_limit_answers_429_with_retry_after(make_client, clock) -> None:
    clock.freeze()
    api = await make_client(["hello"], client_ip="10.9.9.9")
    limit = get_settings().http.rate_limit
    for _ in range(limit):
        assert (await api.get("/api/v1/capabilities")).status_code == 200
    r = await api.get("/api/v1/capabilities")
    assert r.status_code == 429
    assert r.json()["code"] == "rate_limited"
    assert 1 <= int(r.headers["retry-after"]) <= get_settings().http.rate_limit_window_s
    other = await make_client(["hello"], client_ip="10.9.9.10")
    assert (await other.get("/api/v1/capabilities")).status_code == 200
    clock.advance(get_settings().http.rate_limit_window_s)
    assert (await api.get("/api/v1/capabilities")).status_code == 200


async def test_openapi_lists_plugin_routes_tagged_by_plugin(api) -> None:
    schema = (await api.get("/schema/openapi.json")).json()
    op = schema["paths"]["/api/v1/hello/greetings"]["post"]
    assert op["operationId"] == "create_greeting"
    assert op["tags"] == ["hello"]


async def test_idempotency_key_length_and_body_size_are_checked(api) -> None:
    r = await api.post(URL, json={"name": "Ann"}, headers={"Idempotency-Key": "k" * 256})
    assert r.status_code == 400
    assert r.json()["code"] == "invalid_idempotency_key"
    size = get_settings().http.max_body_bytes + 10
    r = await api.post(URL, content=b'{"name": "' + b"x" * size + b'"}',
                       headers={"content-type": "application/json", "Idempotency-Key": "big"})
    assert r.status_code == 413
    assert r.json()["code"] == "payload_too_large"


async def test_forwarded_for_is_believed_only_from_trusted_proxies(sbor_database) -> None:
    from core.http.middleware import client_ip
    from core.settings import get_settings as settings_now

    http = settings_now().http
    scope = {"client": ("10.0.0.9", 1), "headers": [(b"x-forwarded-for", b"1.2.3.4, 203.0.113.7")]}
    assert client_ip(scope) == "10.0.0.9"  # not a trusted proxy: the header is ignored
    old = http.trusted_proxies
    http.trusted_proxies = ["10.0.0.9"]
    try:
        # the client wrote 1.2.3.4 itself; the proxy appended the address it really saw
        assert client_ip(scope) == "203.0.113.7"
        scope["headers"] = [(b"x-forwarded-for", b"203.0.113.7, 10.0.0.9")]
        assert client_ip(scope) == "203.0.113.7"
    finally:
        http.trusted_proxies = old


async def test_a_retry_after_the_access_token_was_refreshed_is_still_the_same_caller(make_client, make_user,
                                                                                    clock) -> None:
    from core.auth.services import open_session
    from core.auth.tokens import issue_access_token

    user = await make_user()
    sid, first_token = await open_session(user.id)
    client = await make_client(["hello"])
    headers = {"Idempotency-Key": "k-refresh"}
    first = await client.post(URL, json={"name": "Ann"}, headers={**headers, "Authorization": f"Bearer {first_token}"})
    clock.advance(timedelta(minutes=10))
    refreshed = issue_access_token(user.id, sid)
    assert refreshed != first_token
    again = await client.post(URL, json={"name": "Ann"}, headers={**headers, "Authorization": f"Bearer {refreshed}"})
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]


async def test_ids_beyond_postgresql_integers_are_404_not_500(make_client, make_user, auth_headers) -> None:
    client = await make_client([])
    headers = await auth_headers(await make_user())
    for big in (2**31, 37192621906, -(2**31) - 1):
        r = await client.get(f"/api/v1/users/{big}/profile", headers=headers)
        assert r.status_code == 404, r.text
        assert r.headers["content-type"].startswith(PROBLEM) and r.json()["code"] == "not_found"
    assert (await client.get(f"/api/v1/users/{2**31 - 1}/profile", headers=headers)).status_code == 404


async def test_json_nested_past_the_decoder_is_a_400(api) -> None:
    deep = b"[" * 10_000 + b"]" * 10_000
    r = await api.post(URL, content=deep, headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] == "json_too_deep"


async def test_invalid_utf8_in_a_json_body_is_a_400(api) -> None:
    r = await api.post(URL, content=b'{"name": "\xff\xfe"}', headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] == "malformed_json"
    assert "UTF-8" in r.json()["detail"]


@pytest.mark.parametrize("ctype", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
async def test_a_form_body_on_a_json_endpoint_is_a_415(api, ctype: str) -> None:
    r = await api.post(URL, content=b"name=Ann", headers={"content-type": ctype})
    assert r.status_code == 415 and r.json()["code"] == "unsupported_media_type"


def test_request_ids_are_unique_here_and_in_a_forked_child() -> None:
    import os
    import re
    import warnings

    from core.http.middleware import new_request_id

    ids = [new_request_id() for _ in range(1000)]
    assert len(set(ids)) == 1000 and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    read, write = os.pipe()
    with warnings.catch_warnings():  # Python 3.12+ warns about fork() in a process with threads; the child only writes
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: its ids must not repeat the parent's (same counter, same memory)
        os.write(write, new_request_id().encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.waitpid(pid, 0)
    os.close(read)
    assert len(child) == 32 and child[:16] != ids[0][:16] and child not in ids


async def test_the_edge_keeps_headers_given_as_any_iterable_and_adds_the_id_once() -> None:
    from core.http.middleware import edge_middleware

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": (h for h in [(b"content-type", b"text/plain"), (b"x-extra", b"1")])})
        await send({"type": "http.response.body", "body": b"ok"})

    async def echoes_id(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-request-id", b"mine")]})
        await send({"type": "http.response.body", "body": b""})

    scope = {"type": "http", "method": "GET", "path": "/x", "headers": [], "client": ("127.0.0.1", 1)}
    for app, expected in [(inner, [(b"content-type", b"text/plain"), (b"x-extra", b"1")]),
                          (echoes_id, [(b"x-request-id", b"mine")])]:
        sent: list[Any] = []

        async def send(message: Any, sent: list[Any] = sent) -> None:
            sent.append(message)

        await edge_middleware(app)(dict(scope), None, send)
        headers = list(sent[0]["headers"])
        assert headers[:len(expected)] == expected
        assert [k for k, _ in headers].count(b"x-request-id") == 1
