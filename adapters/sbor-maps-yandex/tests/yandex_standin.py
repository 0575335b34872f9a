"""A stand-in of Yandex's Geocoder, Geosuggest and Router, rendering what the stand-in knows in Yandex's JSON."""

from __future__ import annotations

import re
from typing import Any

from plugins.geo.hookspecs import Place
from plugins.geo.standin import Request, Response, StandIn

KEY = "test-key"
_LONLAT = re.compile(r"^-?\d+(\.\d+)?,-?\d+(\.\d+)?$")


def _geo_object(standin: StandIn, p: Place) -> dict[str, Any]:
    lon, lat = (p.lat, p.lon) if standin.swap else (p.lon, p.lat)
    components = [{"kind": "country", "name": "Россия"}, {"kind": "locality", "name": p.city or ""}]
    return {"GeoObject": {
        "metaDataProperty": {"GeocoderMetaData": {
            "kind": "house", "text": p.label, "precision": "exact" if p.precision == "exact" else "other",
            "Address": {"country_code": p.country_code, "formatted": p.address or p.label, "Components": components},
        }},
        "name": p.label.rsplit(", ", 1)[-1], "description": p.label.rsplit(", ", 1)[0],
        "boundedBy": {"Envelope": {"lowerCorner": f"{lon - 0.01} {lat - 0.01}",
                                   "upperCorner": f"{lon + 0.01} {lat + 0.01}"}},
        "Point": {"pos": f"{lon} {lat}"},  # "lon lat", as Yandex writes it
    }}


def render(standin: StandIn, request: Request) -> Response:
    """Yandex's answers by path: ``…/1.x/`` geocoder, ``…/suggest`` Geosuggest, ``…/route`` Router."""
    if request.query.get("apikey") != KEY:
        return Response(403, {"statusCode": 403, "error": "Forbidden", "message": "Invalid api key"})
    if request.path.endswith("/1.x/"):
        text = request.query.get("geocode", "")
        found = standin.reverse_places if _LONLAT.match(text) else standin.lookup(text)
        found = found[: int(request.query.get("results", "10"))]
        meta = {"GeocoderResponseMetaData": {"request": text, "found": str(len(found)), "results": "10"}}
        return Response(200, {"response": {"GeoObjectCollection": {
            "metaDataProperty": meta, "featureMember": [_geo_object(standin, p) for p in found]}}})
    if request.path.endswith("/suggest"):
        found = standin.lookup(request.query.get("text", ""))
        return Response(200, {"suggest_reqid": "1", "results": [
            {"title": {"text": p.label.rsplit(", ", 1)[-1]}, "subtitle": {"text": p.city or ""}, "tags": ["house"],
             "address": {"formatted_address": p.label}} for p in found]})
    if request.path.endswith("/route"):
        route = standin.route
        if route is None:
            return Response(200, {"traffic_type": "forecast", "route": {"legs": [{"status": "FAIL", "steps": []}]}})
        points = [[lon, lat] if standin.swap else [lat, lon] for lat, lon in route.line]
        half = len(points) // 2 + 1
        steps = [  # two steps: the durations and lengths add up to the route's
            {"length": route.distance_m * 0.4, "duration": route.duration_s * 0.4 - 10, "waiting_duration": 10,
             "mode": "walking", "polyline": {"points": points[:half]}},
            {"length": route.distance_m * 0.6, "duration": route.duration_s * 0.6, "waiting_duration": 0,
             "mode": "walking", "polyline": {"points": points[half:]}},
        ]
        return Response(200, {"traffic_type": "forecast", "route": {"legs": [{"status": "OK", "steps": steps}],
                                                                     "flags": {"hasTolls": False}}})
    return Response(404, {"statusCode": 404, "error": "Not Found"})
