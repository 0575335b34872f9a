"""core.http.response_cache: anonymous GETs of an opted-in route (the events feed) answered from this process's copy,
with the same bytes and headers as the normal path, the API rate limit, request ids, languages, and Redis away."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from core import cache
from core import settings as core_settings
from core.http import response_cache

FEED = "/api/v1/events"
Client = Callable[..., Awaitable[Any]]
IGNORED = {"x-request-id", "date", "server"}


def served() -> int:
    return response_cache.stats()["hit"]


def headers_of(r: Any) -> dict[str, str]:
    return {k: v for k, v in r.headers.items() if k not in IGNORED}


async def until(condition: Callable[[], bool], what: str, seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.01)


async def live_client(make_client: Client, **kw: Any) -> Any:
    api = await make_client(["events"], **kw)
    assert (await api.get(FEED, params={"tags": "warm-up"})).status_code == 200  # starts the subscriber
    await until(response_cache.live, "the bump subscription did not come up")
    return api


async def test_copy_matches_the_normal_path_byte_for_byte(make_client: Client) -> None:
    # Given a feed page filled through the normal path
    api = await live_client(make_client)
    first = await api.get(FEED, params={"tags": "music"})
    # When it is read again anonymously
    before = served()
    again = await api.get(FEED, params={"tags": "music"})
    # Then it is the process's copy, with the same body and headers (a fresh request id)
    assert served() == before + 1
    assert again.status_code == 200 and again.content == first.content
    assert headers_of(again) == headers_of(first)
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    # And a conditional read gets the same 304 as the normal path (a cookie sends it there)
    tag = {"If-None-Match": first.headers["etag"]}
    fast = await api.get(FEED, params={"tags": "music"}, headers=tag)
    normal = await api.get(FEED, params={"tags": "music"}, headers={**tag, "Cookie": "a=b"})
    assert served() == before + 2
    assert fast.status_code == normal.status_code == 304
    assert fast.content == normal.content == b""
    assert headers_of(fast) == headers_of(normal)
    # And a stale tag gets the full page
    other = await api.get(FEED, params={"tags": "music"}, headers={"If-None-Match": '"nope"'})
    assert other.status_code == 200 and other.content == first.content


async def test_request_id_is_echoed_or_made(make_client: Client) -> None:
    api = await live_client(make_client)
    await api.get(FEED, params={"tags": "art"})
    before = served()
    r = await api.get(FEED, params={"tags": "art"}, headers={"X-Request-ID": "client-id.1"})
    assert r.headers["x-request-id"] == "client-id.1"
    r = await api.get(FEED, params={"tags": "art"}, headers={"X-Request-ID": "bad id!"})
    assert r.headers["x-request-id"] != "bad id!" and len(r.headers["x-request-id"]) == 32
    assert served() == before + 2


@pytest.mark.parametrize("header", [{"Authorization": "Bearer nope"}, {"Cookie": "session=x"},
                                    {"Origin": "https://example.org"}])
async def test_signed_in_or_cookie_requests_never_use_copies(make_client: Client, header: dict[str, str]) -> None:
    api = await live_client(make_client)
    await api.get(FEED, params={"tags": "film"})
    await api.get(FEED, params={"tags": "film"})
    before, kept = served(), response_cache.stats()["kept"]
    await api.get(FEED, params={"tags": "film"}, headers=header)
    await api.get(FEED, params={"tags": "books"}, headers=header)
    assert served() == before and response_cache.stats()["kept"] == kept


async def test_languages_are_kept_apart(make_client: Client) -> None:
    api = await live_client(make_client)
    ru = {"Accept-Language": "ru-RU,ru;q=0.9"}
    en = {"Accept-Language": "en-GB"}
    kept = response_cache.stats()["kept"]
    await api.get(FEED, params={"tags": "kids"}, headers=ru)
    await api.get(FEED, params={"tags": "kids"}, headers=en)
    assert response_cache.stats()["kept"] == kept + 2  # one copy per negotiated language
    before = served()
    await api.get(FEED, params={"tags": "kids"}, headers={"Accept-Language": "ru"})  # negotiates to the same
    assert served() == before + 1


async def test_rate_limit_still_applies(make_client: Client, clock: Any) -> None:
    # Given a small per-address limit and a page kept in the process
    clock.freeze()
    os.environ["SBOR_HTTP_RATE_LIMIT"] = "8"
    core_settings.reload()
    try:
        api = await live_client(make_client, client_ip="10.7.7.7")
        await api.get(FEED, params={"tags": "dance"})
        before = served()
        # When the same address keeps reading it past the limit
        answers = [await api.get(FEED, params={"tags": "dance"}, headers={"Accept-Language": "ru"})
                   for _ in range(8)]
    finally:
        del os.environ["SBOR_HTTP_RATE_LIMIT"]
        core_settings.reload()
    # Then the copies were served until the limit, and the rest got the API's 429 problem, in Russian
    assert served() > before
    limited = [r for r in answers if r.status_code == 429]
    assert limited and all(r.status_code == 200 for r in answers[:len(answers) - len(limited)])
    r = limited[-1]
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "rate_limited" and r.json()["request_id"] == r.headers["x-request-id"]
    assert int(r.headers["retry-after"]) >= 1 and r.headers["content-language"] == "ru"


async def test_redis_away_still_answers_and_copies_stop(make_client: Client, use_redis: Any,
                                                        private_redis: Any) -> None:
    # Given copies served while Redis (a private one) is there
    await use_redis(private_redis.url)
    api = await live_client(make_client)
    first = await api.get(FEED, params={"tags": "food"})
    await api.get(FEED, params={"tags": "food"})
    # When the subscription is cut (Redis kills its pub/sub clients)
    subscribed = response_cache.stats()["subscribed"]
    await cache.client().client_kill_filter(_type="pubsub")
    # Then it comes back and the copies from before are gone (bumps may have been missed meanwhile)
    await until(lambda: response_cache.stats()["subscribed"] > subscribed, "the subscription did not come back")
    await until(response_cache.live, "copies not served again")
    before = served()
    await api.get(FEED, params={"tags": "food"})
    assert served() == before  # refilled through the normal path
    # When Redis goes away altogether
    private_redis.stop()
    await until(lambda: not response_cache.live(), "copies still served without Redis")
    before = served()
    r = await api.get(FEED, params={"tags": "food"})
    # Then the normal path answers (from the database)
    assert r.status_code == 200 and r.content == first.content and served() == before


def feed_answers_counted() -> float | None:
    """``sbor_http_requests_total`` of the feed's 200s in this process (None: no such series yet)."""
    from core.observability.http import request_figures

    figures = request_figures()
    figures.flush()
    for metric in figures.requests.collect():
        for sample in metric.samples:
            labels = sample.labels
            if (sample.name.endswith("_total") and (labels["method"], labels["status_code"]) == ("GET", "200")
                    and labels["path"].rstrip("/") == FEED):
                return sample.value
    return None


async def test_copies_are_counted_in_the_request_metrics(make_client: Client) -> None:
    api = await live_client(make_client)
    await api.get(FEED, params={"tags": "tech"})
    count = feed_answers_counted()
    if count is None:
        pytest.skip("request metrics are off in this configuration")
    before = served()
    await api.get(FEED, params={"tags": "tech"})
    assert served() == before + 1 and feed_answers_counted() == count + 1
