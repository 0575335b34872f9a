"""The HTTP side every provider shares: one client per provider, the size cap before parsing, statuses to errors."""

from __future__ import annotations

import email.utils
import math
from typing import Any

import httpx
import msgspec

from core import clock
from plugins.geo.hookspecs import (
    ProviderBadAnswer,
    ProviderRateLimited,
    ProviderRefused,
    ProviderUnavailable,
)

DEFAULT_MAX_BYTES = 2_000_000
MAX_CONNECTIONS = 32
"""Connections per provider: polite to the vendor, and httpcore's pool gets slower per request with many more."""


def make_client(*, user_agent: str, timeout_s: float, base_url: str = "", **options: Any) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` for one provider: its User-Agent, a timeout on connect/read/write/pool each."""
    options.setdefault("limits", httpx.Limits(max_connections=MAX_CONNECTIONS,
                                              max_keepalive_connections=MAX_CONNECTIONS))
    return httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(timeout_s),
                             headers={"User-Agent": user_agent, "Accept": "application/json"},
                             follow_redirects=False, **options)


def retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - clock.now()).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


async def get_json(client: httpx.AsyncClient, url: str, *, params: dict[str, Any] | None = None,
                   max_bytes: int = DEFAULT_MAX_BYTES, ok_statuses: tuple[int, ...] = (200,)) -> Any:
    """GET ``url`` and parse its JSON, refusing more than ``max_bytes`` before parsing.

    Maps the transport to the contract's errors: 429 → :class:`ProviderRateLimited` (with Retry-After), 5xx, timeouts
    and connection errors → :class:`ProviderUnavailable`, other 4xx → :class:`ProviderRefused`, an answer too large
    or not JSON → :class:`ProviderBadAnswer`. ``ok_statuses`` lists statuses whose body is still read (OSRM answers
    400 with a JSON ``code`` for "no route").
    """
    try:
        async with client.stream("GET", url, params=params) as response:
            status = response.status_code
            if status == 429:
                raise ProviderRateLimited(f"{url}: 429", retry_after(response.headers.get("Retry-After")))
            if status >= 500:
                raise ProviderUnavailable(f"{url}: {status}")
            if status not in ok_statuses:
                raise ProviderRefused(f"{url}: {status}")
            declared = response.headers.get("Content-Length")
            if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                raise ProviderBadAnswer(f"{url}: answer of {declared} bytes is over {max_bytes}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise ProviderBadAnswer(f"{url}: answer over {max_bytes} bytes")
    except httpx.TimeoutException as exc:
        raise ProviderUnavailable(f"{url}: timed out ({type(exc).__name__})") from exc
    except httpx.HTTPError as exc:
        raise ProviderUnavailable(f"{url}: {type(exc).__name__}: {exc}") from exc
    try:
        return msgspec.json.decode(bytes(body))
    except msgspec.DecodeError as exc:
        raise ProviderBadAnswer(f"{url}: not JSON: {exc}") from exc
