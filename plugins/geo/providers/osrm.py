"""OSRM (``osrm-routed``): routes and travel times, per its published HTTP API.

``GET /route/v1/{profile}/{lon},{lat};{lon},{lat}?overview=simplified&geometries=geojson`` answers ``{"code": "Ok",
"routes": [{"distance": m, "duration": s, "geometry": {"coordinates": [[lon, lat], …]}}]}``; "no route" is
``{"code": "NoRoute"}`` (HTTP 400 with a JSON body, like ``NoSegment``). Note the **lon,lat** order on the wire. One
``osrm-routed`` serves the profile its data was prepared with, so each mode may have its own server.
"""

from __future__ import annotations

from typing import Any

import msgspec

from plugins.geo.hookspecs import CONTRACT_VERSION, Mode, Point, ProviderBadAnswer, ProviderInfo, ProviderRefused, Route
from plugins.geo.http import get_json
from plugins.geo.providers.base import HttpProvider

PROFILES: dict[str, str] = {"car": "driving", "walk": "foot", "bicycle": "bike"}
NOTHING = {"NoRoute", "NoSegment"}  # the points cannot be connected: an empty answer, not a failure


class _Geometry(msgspec.Struct):
    coordinates: list[tuple[float, float]] = msgspec.field(default_factory=list)


class _Route(msgspec.Struct):
    distance: float
    duration: float
    geometry: _Geometry | None = None


class _Answer(msgspec.Struct):
    code: str
    routes: list[_Route] = msgspec.field(default_factory=list)
    message: str = ""


class Osrm(HttpProvider):
    """Routes by car (``url``) and by the modes given their own servers (``mode_urls``)."""

    def __init__(self, url: str, *, mode_urls: dict[str, str] | None = None, user_agent: str, timeout_s: float = 5.0,
                 max_bytes: int = 2_000_000) -> None:
        super().__init__(user_agent=user_agent, timeout_s=timeout_s, max_bytes=max_bytes)
        self.urls: dict[str, str] = {"car": url.rstrip("/")} if url else {}
        self.urls.update({m: u.rstrip("/") for m, u in (mode_urls or {}).items() if m in PROFILES and u})
        modes: frozenset[Mode] = frozenset(m for m in ("car", "walk", "bicycle") if m in self.urls)
        self.info = ProviderInfo(
            name="osrm", contract=CONTRACT_VERSION, capabilities=frozenset({"route"} if modes else set()),
            modes=modes, attribution="© OpenStreetMap contributors (ODbL), OSRM", cache_ttl_s=0, per_second=50,
            daily_budget=1_000_000, timeout_s=timeout_s)

    async def route(self, origin: Point, destination: Point, *, mode: Mode) -> Route | None:
        base = self.urls.get(mode)
        if base is None:
            return None
        path = f"{origin.lon:.6f},{origin.lat:.6f};{destination.lon:.6f},{destination.lat:.6f}"
        raw: Any = await get_json(self.client, f"{base}/route/v1/{PROFILES[mode]}/{path}",
                                  params={"overview": "simplified", "geometries": "geojson", "alternatives": "false"},
                                  max_bytes=self.max_bytes, ok_statuses=(200, 400))
        try:
            answer = msgspec.convert(raw, _Answer)
        except msgspec.ValidationError as exc:
            raise ProviderBadAnswer(f"osrm: unexpected answer: {exc}") from exc
        if answer.code in NOTHING:
            return None
        if answer.code != "Ok":
            raise ProviderRefused(f"osrm: {answer.code}: {answer.message}")
        if not answer.routes:
            return None
        best = answer.routes[0]
        line = tuple((lat, lon) for lon, lat in (best.geometry.coordinates if best.geometry else []))
        return Route(mode=mode, distance_m=best.distance, duration_s=best.duration, line=line)
