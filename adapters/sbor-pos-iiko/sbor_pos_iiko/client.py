"""An httpx client of the iiko Cloud API (iikoTransport, ``https://api-ru.iiko.services``), as published.

Every method is ``POST /api/1/...`` with a JSON body and ``Authorization: Bearer <token>``; the session token comes
from ``POST /api/1/access_token {"apiLogin": ...}`` → ``{"correlationId", "token"}`` and lives about an hour. The
client keeps one token per API login in the process, renews it ahead of its end, and once more when a call answers
401 (the token expired or was revoked). Errors answer ``{"correlationId", "errorDescription", "error"}``.
Failures map to the orders contract: timeouts, 408, 429 (with ``Retry-After``) and 5xx are
:class:`~plugins.orders.hookspecs.PosUnavailable` (retried by orders), other 4xx
:class:`~plugins.orders.hookspecs.PosRejected`.
"""

from __future__ import annotations

import functools
import ssl
import time
from dataclasses import dataclass
from typing import Any

import httpx

from plugins.orders.hookspecs import PosRejected, PosUnavailable

DEFAULT_BASE_URL = "https://api-ru.iiko.services"
TOKEN_TTL_S = 45 * 60  # iiko documents about an hour; renew well before


@dataclass
class _Token:
    value: str
    fetched_at: float


_tokens: dict[tuple[str, str], _Token] = {}


def forget_tokens() -> None:
    """Drop every cached session token (tests; a rotated API login)."""
    _tokens.clear()


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for the process: building one per client loads the CA bundle each time (30-300 ms of CPU)."""
    return httpx.create_ssl_context()


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _error_text(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(data, dict):
        return str(data.get("errorDescription") or data.get("error") or data)[:300]
    return str(data)[:300]


class IikoClient:
    """One venue's conversation with iiko: its API login, base URL and time budget."""

    def __init__(self, api_login: str, base_url: str = DEFAULT_BASE_URL, timeout_s: float = 10.0) -> None:
        self.api_login = api_login
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.timeout_s = timeout_s

    async def call(self, path: str, body: dict[str, Any], *, commits: bool = False) -> Any:
        """``POST {base}{path}`` with a valid session token; one renewal on 401.

        ``commits``: the call may create something on iiko's side, so a timeout after sending says it may exist.
        """
        async with httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout_s, verify=_tls()) as http:
            token = await self._token(http)
            response = await self._post(http, path, body, token, commits)
            if response.status_code == 401:  # expired or revoked: renew once
                _tokens.pop(self._key(), None)
                token = await self._token(http)
                response = await self._post(http, path, body, token, commits)
            self._raise_for(response)
            return response.json()

    def _key(self) -> tuple[str, str]:
        return (self.base_url, self.api_login)

    async def _token(self, http: httpx.AsyncClient) -> str:
        cached = _tokens.get(self._key())
        if cached is not None and time.monotonic() - cached.fetched_at < TOKEN_TTL_S:
            return cached.value
        if not self.api_login:
            raise PosRejected("iiko: no API login configured")
        response = await self._post(http, "/api/1/access_token", {"apiLogin": self.api_login}, None, False)
        if response.status_code in (400, 401, 403):
            raise PosRejected(f"iiko refused the API login: {_error_text(response)}")
        self._raise_for(response)
        token = str(response.json().get("token", ""))
        if not token:
            raise PosUnavailable("iiko: access_token answered without a token")
        _tokens[self._key()] = _Token(token, time.monotonic())
        return token

    async def _post(self, http: httpx.AsyncClient, path: str, body: dict[str, Any], token: str | None,
                    commits: bool) -> httpx.Response:
        headers = {"Timeout": str(max(1, int(self.timeout_s)))}  # iiko's own server-side time budget, seconds
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            return await http.post(path, json=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise PosUnavailable(f"iiko {path}: timeout ({exc!r})", maybe_committed=commits) from None
        except httpx.HTTPError as exc:
            raise PosUnavailable(f"iiko {path}: {exc!r}", maybe_committed=False) from None

    @staticmethod
    def _raise_for(response: httpx.Response) -> None:
        code = response.status_code
        if code < 400:
            return
        if code in (408, 429) or code >= 500:
            raise PosUnavailable(f"iiko HTTP {code}: {_error_text(response)}", retry_after=_retry_after(response))
        raise PosRejected(f"iiko HTTP {code}: {_error_text(response)}")
