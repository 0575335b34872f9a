"""The Yandex provider: HTTP clients of Yandex's published APIs, mapped to geo's contract (version 1.0).

* Geocoder ``GET {geocoder_url}/?apikey&geocode&format=json&lang=ru_RU&results=N`` →
  ``response.GeoObjectCollection.featureMember[].GeoObject`` with ``Point.pos`` as **"lon lat"** (a space between);
  reverse geocoding sends ``geocode="lon,lat"`` (Yandex's default ``sco=longlat``).
* Geosuggest ``GET {suggest_url}/suggest?apikey&text&lang&results&ll=lon,lat`` → ``results[].title.text`` and
  ``subtitle.text`` (no coordinates: the app geocodes the chosen label).
* Router ``GET {router_url}/route?apikey&waypoints=lat,lon|lat,lon&mode=walking|driving|transit`` (**lat,lon**
  here) → ``route.legs[].steps[]`` with ``length`` (m), ``duration`` and ``waiting_duration`` (s) and
  ``polyline.points`` as [lat, lon]; a leg with ``status`` other than ``OK`` means no route.
* Static API ``{static_url}?ll=lon,lat&z&size=w,h&pt=lon,lat,pm2rdm&apikey`` (a URL, no call).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx
import msgspec

from plugins.geo import api as geo
from plugins.geo.hookspecs import (
    CONTRACT_VERSION,
    Capability,
    Mode,
    Place,
    Point,
    ProviderBadAnswer,
    ProviderInfo,
    Route,
    Suggestion,
)

from sbor_maps_yandex import YandexSettings

LANGS = {"ru": "ru_RU", "en": "en_US", "uk": "uk_UA", "be": "be_BY", "tr": "tr_TR", "kk": "kk_KZ", "uz": "uz_UZ"}
ROUTER_MODES: dict[str, str] = {"walk": "walking", "car": "driving", "transit": "transit"}
RTT = {"car": "auto", "transit": "mt", "walk": "pd", "bicycle": "bc"}
PRECISION = {"exact": "exact", "number": "exact", "near": "exact", "range": "street", "street": "street",
             "other": "other"}
CITY_KINDS = ("locality",)


class _Address(msgspec.Struct):
    formatted: str = ""
    country_code: str | None = None
    Components: list[dict[str, str]] = msgspec.field(default_factory=list)


class _Meta(msgspec.Struct):
    text: str = ""
    precision: str = "other"
    Address: _Address | None = None


class _MetaProperty(msgspec.Struct):
    GeocoderMetaData: _Meta


class _Point(msgspec.Struct):
    pos: str


class _GeoObject(msgspec.Struct):
    Point: _Point
    metaDataProperty: _MetaProperty
    name: str = ""
    description: str = ""


class _Member(msgspec.Struct):
    GeoObject: _GeoObject


class _Collection(msgspec.Struct):
    featureMember: list[_Member] = msgspec.field(default_factory=list)


class _Response(msgspec.Struct):
    GeoObjectCollection: _Collection


class _Geocoded(msgspec.Struct):
    response: _Response


class _Text(msgspec.Struct):
    text: str = ""


class _SuggestItem(msgspec.Struct):
    title: _Text
    subtitle: _Text | None = None


class _Suggested(msgspec.Struct):
    results: list[_SuggestItem] = msgspec.field(default_factory=list)


class _Polyline(msgspec.Struct):
    points: list[tuple[float, float]] = msgspec.field(default_factory=list)


class _Step(msgspec.Struct):
    length: float
    duration: float
    waiting_duration: float = 0.0
    polyline: _Polyline | None = None


class _Leg(msgspec.Struct):
    status: str
    steps: list[_Step] = msgspec.field(default_factory=list)


class _RouteBody(msgspec.Struct):
    legs: list[_Leg] = msgspec.field(default_factory=list)


class _Routed(msgspec.Struct):
    route: _RouteBody | None = None


def _convert(raw: Any, type_: type[Any], what: str) -> Any:
    try:
        return msgspec.convert(raw, type_)
    except msgspec.ValidationError as exc:
        raise ProviderBadAnswer(f"yandex {what}: unexpected answer: {exc}") from exc


class YandexMaps:
    """Geo's ``yandex`` provider. Capabilities follow the keys configured; deep links need none."""

    def __init__(self, settings: YandexSettings, *, user_agent: str, max_bytes: int = 2_000_000) -> None:
        self.settings = settings
        self.max_bytes = max_bytes
        self.user_agent = user_agent
        self._client: httpx.AsyncClient | None = None
        caps: set[Capability] = {"deep_link"}
        if settings.api_key:
            caps |= {"geocode", "reverse"}
        if settings.suggest_api_key:
            caps.add("suggest")
        if settings.router_api_key:
            caps.add("route")
        if settings.static_api_key:
            caps.add("static_map")
        self.info = ProviderInfo(
            name="yandex", contract=CONTRACT_VERSION, capabilities=frozenset(caps),
            languages=tuple(LANGS), regions=("RU", "BY", "KZ", "UZ", "TR", "AM", "GE", "AZ", "KG"),
            modes=frozenset({"walk", "car", "transit"}) if settings.router_api_key else frozenset(),
            attribution="© Yandex", cache_ttl_s=settings.cache_ttl_s, per_second=settings.per_second,
            daily_budget=settings.daily_budget, timeout_s=settings.timeout_s, deep_link_apps=("yandex",))

    @property
    def client(self) -> httpx.AsyncClient:
        """The HTTP client, made on first use (bound to the loop that first uses it)."""
        if self._client is None:
            self._client = geo.make_client(user_agent=self.user_agent, timeout_s=self.settings.timeout_s)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    async def _geocoder(self, geocode: str, lang: str, results: int, **more: str) -> list[Place]:
        raw = await geo.get_json(self.client, f"{self.settings.geocoder_url}/", max_bytes=self.max_bytes, params={
            "apikey": self.settings.api_key, "geocode": geocode, "format": "json", "lang": LANGS.get(lang, "en_US"),
            "results": results, **more})
        answer: _Geocoded = _convert(raw, _Geocoded, "geocoder")
        return [_place(m.GeoObject) for m in answer.response.GeoObjectCollection.featureMember]

    async def geocode(self, query: str, *, lang: str, limit: int, near: Point | None) -> list[Place]:
        more = {"ll": f"{near.lon},{near.lat}", "spn": "0.5,0.5"} if near is not None else {}
        return await self._geocoder(query, lang, limit, **more)

    async def reverse(self, point: Point, *, lang: str) -> list[Place]:
        return await self._geocoder(f"{point.lon:.6f},{point.lat:.6f}", lang, 5)

    async def suggest(self, text: str, *, lang: str, limit: int, near: Point | None) -> list[Suggestion]:
        params: dict[str, Any] = {"apikey": self.settings.suggest_api_key, "text": text, "lang": lang,
                                  "results": limit, "print_address": 1}
        if near is not None:
            params["ll"] = f"{near.lon},{near.lat}"
        raw = await geo.get_json(self.client, f"{self.settings.suggest_url}/suggest", params=params,
                                 max_bytes=self.max_bytes)
        answer: _Suggested = _convert(raw, _Suggested, "suggest")
        return [Suggestion(label=r.title.text, detail=r.subtitle.text if r.subtitle else "") for r in answer.results]

    async def route(self, origin: Point, destination: Point, *, mode: Mode) -> Route | None:
        if mode not in ROUTER_MODES:
            return None
        raw = await geo.get_json(self.client, f"{self.settings.router_url}/route", max_bytes=self.max_bytes, params={
            "apikey": self.settings.router_api_key, "mode": ROUTER_MODES[mode],
            "waypoints": f"{origin.lat:.6f},{origin.lon:.6f}|{destination.lat:.6f},{destination.lon:.6f}"})
        answer: _Routed = _convert(raw, _Routed, "router")
        if answer.route is None or not answer.route.legs or any(leg.status != "OK" for leg in answer.route.legs):
            return None
        steps = [s for leg in answer.route.legs for s in leg.steps]
        line = tuple((lat, lon) for s in steps if s.polyline for lat, lon in s.polyline.points)
        return Route(mode=mode, distance_m=sum(s.length for s in steps),
                     duration_s=sum(s.duration + s.waiting_duration for s in steps), line=line)

    def static_map_url(self, center: Point, *, zoom: int, width: int, height: int) -> str | None:
        if not self.settings.static_api_key:
            return None
        ll = f"{center.lon:.6f},{center.lat:.6f}"
        return f"{self.settings.static_url}?" + urlencode({
            "ll": ll, "z": zoom, "size": f"{min(width, 650)},{min(height, 450)}", "pt": f"{ll},pm2rdm",
            "apikey": self.settings.static_api_key})

    def deep_links(self, destination: Point, *, origin: Point | None, mode: Mode) -> dict[str, str]:
        if origin is None:
            query = {"pt": f"{destination.lon:.6f},{destination.lat:.6f}", "z": "17", "l": "map"}
        else:
            query = {"rtext": f"{origin.lat:.6f},{origin.lon:.6f}~{destination.lat:.6f},{destination.lon:.6f}",
                     "rtt": RTT[mode]}
        return {"yandex": "https://yandex.ru/maps/?" + urlencode(query)}


def _place(obj: _GeoObject) -> Place:
    try:
        lon_text, lat_text = obj.Point.pos.split()
        lon, lat = float(lon_text), float(lat_text)  # Yandex: "lon lat"
    except ValueError as exc:
        raise ProviderBadAnswer(f"yandex geocoder: pos {obj.Point.pos!r}") from exc
    meta = obj.metaDataProperty.GeocoderMetaData
    address = meta.Address
    city = next((c.get("name") for c in (address.Components if address else []) if c.get("kind") in CITY_KINDS),
                None)
    label = meta.text or ", ".join(p for p in (obj.description, obj.name) if p)
    return Place(lat=lat, lon=lon, label=label, country_code=(address.country_code or None) if address else None,
                 city=city, address=address.formatted if address else label,
                 precision=PRECISION.get(meta.precision, "other"))
