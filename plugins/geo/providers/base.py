"""What the built-in providers share: a lazily made HTTP client (bound to the loop that first uses it)."""

from __future__ import annotations

import httpx

from plugins.geo.hookspecs import Mode, Place, Point, ProviderInfo, Route, Suggestion
from plugins.geo.http import make_client


class HttpProvider:
    """A provider with one ``httpx.AsyncClient``, made on first use and closed by :meth:`aclose`.

    The methods of capabilities a subclass does not declare raise NotImplementedError (geo never calls them).
    """

    info: ProviderInfo

    def __init__(self, *, user_agent: str, timeout_s: float, max_bytes: int) -> None:
        self.user_agent = user_agent
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        """The provider's client (made now if this is the first call)."""
        if self._client is None:
            self._client = make_client(user_agent=self.user_agent, timeout_s=self.timeout_s)
        return self._client

    async def aclose(self) -> None:
        """Close the client, if one was made."""
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    async def geocode(self, query: str, *, lang: str, limit: int, near: Point | None) -> list[Place]:
        raise NotImplementedError

    async def reverse(self, point: Point, *, lang: str) -> list[Place]:
        raise NotImplementedError

    async def suggest(self, text: str, *, lang: str, limit: int, near: Point | None) -> list[Suggestion]:
        raise NotImplementedError

    async def route(self, origin: Point, destination: Point, *, mode: Mode) -> Route | None:
        raise NotImplementedError

    def static_map_url(self, center: Point, *, zoom: int, width: int, height: int) -> str | None:
        return None

    def deep_links(self, destination: Point, *, origin: Point | None, mode: Mode) -> dict[str, str]:
        return {}
