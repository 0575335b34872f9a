"""OpenStreetMap's Nominatim: search, reverse and (self-hosted only) suggestions, per its published API and policy.

``GET /search?q=…&format=jsonv2&addressdetails=1&limit=…&accept-language=…`` answers a list of places with ``lat`` and
``lon`` as strings; ``GET /reverse?lat=…&lon=…&format=jsonv2`` one place, or ``{"error": "Unable to geocode"}`` when
nothing is there. The public server's usage policy (operations.osmfoundation.org/policies/nominatim): at most one
request a second for the whole application, a User-Agent that identifies it (stock library ones are refused), cache
answers, and no search-as-you-type: so against the public server this provider declares no ``suggest``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import msgspec

from plugins.geo.hookspecs import CONTRACT_VERSION, Place, Point, ProviderBadAnswer, ProviderInfo, Suggestion
from plugins.geo.http import get_json
from plugins.geo.providers.base import HttpProvider

PUBLIC_HOST = "nominatim.openstreetmap.org"
_CITY_KEYS = ("city", "town", "village", "hamlet", "municipality")
_PRECISION = {"house": "exact", "building": "exact", "road": "street", "street": "street", "city": "locality",
              "town": "locality", "village": "locality", "hamlet": "locality", "suburb": "locality"}


class _Place(msgspec.Struct):
    lat: str
    lon: str
    display_name: str
    address: dict[str, str] = msgspec.field(default_factory=dict)
    addresstype: str = ""


class Nominatim(HttpProvider):
    """Geocoding, reverse geocoding and (self-hosted) suggestions from a Nominatim server."""

    def __init__(self, url: str, *, user_agent: str, email: str = "", timeout_s: float = 5.0,
                 max_bytes: int = 2_000_000) -> None:
        super().__init__(user_agent=user_agent, timeout_s=timeout_s, max_bytes=max_bytes)
        self.url = url.rstrip("/")
        self.email = email
        public = urlsplit(self.url).hostname == PUBLIC_HOST
        self.info = ProviderInfo(
            name="nominatim", contract=CONTRACT_VERSION,
            capabilities=frozenset({"geocode", "reverse"} if public else {"geocode", "reverse", "suggest"}),
            languages=("*",), regions=("*",), attribution="© OpenStreetMap contributors (ODbL)",
            cache_ttl_s=30 * 86_400, per_second=1 if public else 50, daily_budget=20_000 if public else 1_000_000,
            timeout_s=timeout_s)

    def _params(self, lang: str, **more: Any) -> dict[str, Any]:
        params = {"format": "jsonv2", "addressdetails": 1, "accept-language": lang, **more}
        if self.email:
            params["email"] = self.email
        return params

    async def geocode(self, query: str, *, lang: str, limit: int, near: Point | None) -> list[Place]:
        raw = await get_json(self.client, f"{self.url}/search", params=self._params(lang, q=query, limit=limit),
                             max_bytes=self.max_bytes)
        return [_place(p) for p in _convert(raw, list[_Place])]

    async def reverse(self, point: Point, *, lang: str) -> list[Place]:
        raw = await get_json(self.client, f"{self.url}/reverse",
                             params=self._params(lang, lat=f"{point.lat:.7f}", lon=f"{point.lon:.7f}"),
                             max_bytes=self.max_bytes)
        if isinstance(raw, dict) and "error" in raw:  # "Unable to geocode": nothing there, not a failure
            return []
        return [_place(_convert(raw, _Place))]

    async def suggest(self, text: str, *, lang: str, limit: int, near: Point | None) -> list[Suggestion]:
        places = await self.geocode(text, lang=lang, limit=limit, near=near)
        return [Suggestion(label=p.label, detail=p.city or "", lat=p.lat, lon=p.lon) for p in places]


def _convert(raw: Any, type_: Any) -> Any:
    try:
        return msgspec.convert(raw, type_)
    except msgspec.ValidationError as exc:
        raise ProviderBadAnswer(f"nominatim: unexpected answer: {exc}") from exc


def _place(p: _Place) -> Place:
    try:
        lat, lon = float(p.lat), float(p.lon)
    except ValueError as exc:
        raise ProviderBadAnswer(f"nominatim: coordinates {p.lat!r}, {p.lon!r}") from exc
    city = next((p.address[k] for k in _CITY_KEYS if p.address.get(k)), None)
    cc = p.address.get("country_code")
    return Place(lat=lat, lon=lon, label=p.display_name, country_code=cc.upper() if cc else None, city=city,
                 address=p.display_name, precision=_PRECISION.get(p.addresstype, "other"))
