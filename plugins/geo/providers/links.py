"""Deep links to the map apps people use (Yandex Maps, 2GIS, Google Maps, Apple Maps, OpenStreetMap): no key, no call.

Each app's published URL scheme opens the app when installed (universal links) and its website otherwise. Mind the
order: Yandex's ``rtext`` and Google's and Apple's parameters are lat,lon; 2GIS's path and Yandex's ``pt`` are lon,lat.
"""

from __future__ import annotations

from urllib.parse import urlencode

from plugins.geo.hookspecs import CONTRACT_VERSION, Mode, Point, ProviderInfo
from plugins.geo.providers.base import HttpProvider

_YANDEX = {"car": "auto", "transit": "mt", "walk": "pd", "bicycle": "bc"}
_2GIS = {"car": "car", "transit": "bus", "walk": "pedestrian", "bicycle": "bicycle"}
_GOOGLE = {"car": "driving", "transit": "transit", "walk": "walking", "bicycle": "bicycling"}
_APPLE = {"car": "d", "transit": "r", "walk": "w", "bicycle": "c"}
_OSM = {"car": "fossgis_osrm_car", "transit": "fossgis_osrm_car", "walk": "fossgis_osrm_foot",
        "bicycle": "fossgis_osrm_bike"}


def _ll(p: Point) -> str:
    return f"{p.lat:.6f},{p.lon:.6f}"


def _lonlat(p: Point) -> str:
    return f"{p.lon:.6f},{p.lat:.6f}"


def deep_links(destination: Point, *, origin: Point | None, mode: Mode) -> dict[str, str]:
    """URLs opening each app at ``destination``, with the route from ``origin`` by ``mode`` when one is given."""
    if origin is None:
        return {
            "yandex": "https://yandex.ru/maps/?" + urlencode({"pt": _lonlat(destination), "z": 17, "l": "map"}),
            "2gis": f"https://2gis.ru/geo/{_lonlat(destination)}",
            "google": "https://www.google.com/maps/search/?" + urlencode({"api": 1, "query": _ll(destination)}),
            "apple": "https://maps.apple.com/?" + urlencode({"ll": _ll(destination), "q": "Event"}),
            "osm": f"https://www.openstreetmap.org/?mlat={destination.lat:.6f}&mlon={destination.lon:.6f}"
                   f"#map=17/{destination.lat:.6f}/{destination.lon:.6f}",
        }
    return {
        "yandex": "https://yandex.ru/maps/?" + urlencode({"rtext": f"{_ll(origin)}~{_ll(destination)}",
                                                          "rtt": _YANDEX[mode]}),
        "2gis": f"https://2gis.ru/routeSearch/rsType/{_2GIS[mode]}/from/{_lonlat(origin)}/to/{_lonlat(destination)}",
        "google": "https://www.google.com/maps/dir/?" + urlencode({
            "api": 1, "origin": _ll(origin), "destination": _ll(destination), "travelmode": _GOOGLE[mode]}),
        "apple": "https://maps.apple.com/?" + urlencode({"saddr": _ll(origin), "daddr": _ll(destination),
                                                         "dirflg": _APPLE[mode]}),
        "osm": "https://www.openstreetmap.org/directions?" + urlencode({
            "engine": _OSM[mode], "route": f"{_ll(origin)};{_ll(destination)}"}),
    }


class Links(HttpProvider):
    """The ``deep_link`` capability for the common map apps (never calls anything)."""

    def __init__(self) -> None:
        super().__init__(user_agent="-", timeout_s=1.0, max_bytes=0)
        self.info = ProviderInfo(name="links", contract=CONTRACT_VERSION, capabilities=frozenset({"deep_link"}),
                                 regions=("*",), modes=frozenset({"walk", "transit", "car", "bicycle"}),
                                 deep_link_apps=("yandex", "2gis", "google", "apple", "osm"))

    def deep_links(self, destination: Point, *, origin: Point | None, mode: Mode) -> dict[str, str]:
        return deep_links(destination, origin=origin, mode=mode)
