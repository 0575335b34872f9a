"""HTTP routes of geo: ``/api/v1/geo/…`` (thin: parse, call the services, shape)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from core import ratelimit
from core.auth.guards import MaybeSignedIn, Principal, SignedIn, requires
from core.errors import InvalidParameter, ValidationFailed
from core.hooks import plugin_settings
from plugins.events import api as events
from plugins.geo import GeoSettings, broker, directions, home, service, venues
from plugins.geo.hookspecs import Point
from plugins.geo.schemas import (
    DirectionsBody,
    DirectionsRead,
    HomeBody,
    HomeRead,
    LocatedVenueRead,
    MapProviderRead,
    PinBody,
    PlacesRead,
    SuggestionsRead,
    VenueBody,
    VenueNearRead,
)

CREATE, MODERATE = "events.create", "events.moderate"
Results = Annotated[int, QueryParameter(ge=1, le=service.MAX_RESULTS,
                                        description=f"How many answers (1 to {service.MAX_RESULTS}).")]
MAX_RADIUS_KM = 50.0

# The stable codes each operation answers besides core's (listed in the OpenAPI document by core.http.openapi).
_ADDRESS = ["address_empty", "address_too_long", "invalid_language"]
_DOWN = {503: ["maps_unavailable"]}
GEOCODE_CODES = {422: _ADDRESS, **_DOWN}
REVERSE_CODES = {422: ["coordinates_out_of_range", "invalid_language"], **_DOWN}
SUGGEST_CODES = {422: [*_ADDRESS, "coordinates_out_of_range"], **_DOWN}
DIRECTIONS_CODES = {404: ["event_not_found"], 409: ["event_has_no_place"], 422: ["coordinates_out_of_range"]}
HOME_CODES = {422: ["home_point_or_city", "city_not_found", "coordinates_out_of_range", *_ADDRESS], **_DOWN}
VENUE_CODES = {422: ["coordinates_incomplete", "coordinates_out_of_range", *_ADDRESS]}
PIN_CODES = {403: ["not_venue_creator"], 404: ["venue_not_found"], 422: ["coordinates_out_of_range"]}
NEAR_CODES = {400: ["radius_too_large"], 422: ["coordinates_out_of_range"]}


async def _budget(principal: Principal) -> None:
    """Each user's lookups per minute (the providers' budgets are the deployment's, not one user's)."""
    await ratelimit.hit("geo.lookup", str(principal.user_id), limit=plugin_settings(GeoSettings).lookups_per_minute,
                        window_s=60)


def _attribution(provider: str | None) -> str:
    found = broker.providers().by_name.get(provider or "")
    return found.info.attribution if found is not None else ""


def _places(answer: broker.Answer[Any]) -> PlacesRead:
    items = [{**dataclasses.asdict(p), "timezone": service.timezone_at(Point(p.lat, p.lon))} for p in answer.value]
    return msgspec.convert({"items": items, "provider": answer.provider, "cached": answer.cached,
                            "attribution": _attribution(answer.provider)}, PlacesRead)


def _near(near: str, name: str = "near") -> Point:
    try:
        lat, lon = (float(x) for x in near.split(","))
    except ValueError:
        raise InvalidParameter("near is lat,lon", errors=[{"parameter": name, "in": "query",
                                                          "detail": "near is lat,lon"}]) from None
    return service.check_point(lat, lon, f"/{name}")


class GeoController(Controller):
    """Geocoding, suggestions, providers, directions and the user's area."""

    path = "/geo"

    @get("/geocode", operation_id="geocode_address", summary="Places for an address", opt={"codes": GEOCODE_CODES})
    async def geocode(self, principal: SignedIn, q: FromQuery[str], lang: FromQuery[str] = "en",
                      limit: Results = 5) -> PlacesRead:
        """Places matching an address, best first, with the time zone at each (an empty list: nothing found)."""
        await _budget(principal)
        return _places(await service.geocode(q, lang=lang, limit=limit))

    @get("/reverse", operation_id="reverse_geocode", summary="What is at a point", opt={"codes": REVERSE_CODES})
    async def reverse(self, principal: SignedIn, lat: FromQuery[float], lon: FromQuery[float],
                      lang: FromQuery[str] = "en") -> PlacesRead:
        """The address at a point (nearest first)."""
        await _budget(principal)
        return _places(await service.reverse(service.check_point(lat, lon, "/lat"), lang=lang))

    @get("/suggest", operation_id="suggest_addresses", summary="Addresses suggested while typing",
         opt={"codes": SUGGEST_CODES})
    async def suggest(self, principal: SignedIn, q: FromQuery[str], lang: FromQuery[str] = "en",
                      near: FromQuery[str | None] = None, limit: Results = 5) -> SuggestionsRead:
        """Completions of a partly typed address, nearest ``near=lat,lon`` first when the provider can."""
        await _budget(principal)
        answer = await service.suggest(q, lang=lang, limit=limit, near=_near(near) if near else None)
        return msgspec.convert({"items": [dataclasses.asdict(s) for s in answer.value], "provider": answer.provider,
                                "cached": answer.cached, "attribution": _attribution(answer.provider)},
                               SuggestionsRead)

    @get("/providers", operation_id="list_map_providers", summary="The maps providers and what they can do")
    async def providers(self) -> list[MapProviderRead]:
        """Every provider loaded (or refused, with why), its capabilities and whether its circuit is open now."""
        pool = broker.providers()
        out = [MapProviderRead(
            name=name, plugin=pool.plugin_of.get(name), contract=p.info.contract,
            capabilities=sorted(p.info.capabilities), modes=sorted(p.info.modes), languages=list(p.info.languages),
            regions=list(p.info.regions), attribution=p.info.attribution,
            circuit_open=await broker.circuit_open(name), refused=None) for name, p in pool.by_name.items()]
        out += [MapProviderRead(name=name, plugin=None, contract="", capabilities=[], modes=[], languages=[],
                                regions=[], attribution="", circuit_open=False, refused=why)
                for name, why in pool.refused.items()]
        return out

    @post("/events/{event_id:int}/directions", operation_id="get_event_directions", status_code=HTTP_200_OK,
          summary="How to get to an event", opt={"codes": DIRECTIONS_CODES})
    async def event_directions(self, optional_principal: MaybeSignedIn, event_id: FromPath[int],
                               data: JSONBody[DirectionsBody]) -> DirectionsRead:
        """The route and ETA from ``origin`` to the event, the offline estimate, and links to the map apps.

        ``origin`` is used for this answer only, never stored; without a routing provider (or with all down) the
        straight-line distance and a walking estimate stand in. Links open Yandex Maps, 2GIS, Google or Apple Maps.
        """
        if optional_principal is not None and data.origin is not None:
            await _budget(optional_principal)
        origin = Point(data.origin.lat, data.origin.lon) if data.origin else None
        user_id = optional_principal.user_id if optional_principal else None
        return msgspec.convert(await directions.directions(user_id, event_id, origin, data.mode), DirectionsRead)

    @get("/home", operation_id="get_home_area", summary="My area (coarse home point)")
    async def get_home(self, principal: SignedIn) -> HomeRead:
        """The caller's rounded home point, or nulls."""
        point = await home.get(principal.user_id)
        return HomeRead(lat=point.lat if point else None, lon=point.lon if point else None)

    @put("/home", operation_id="set_home_area", summary="Set my area (opt-in)", opt={"codes": HOME_CODES})
    async def set_home(self, principal: SignedIn, data: JSONBody[HomeBody]) -> HomeRead:
        """Store a coarse home point (rounded) from a point or a city; only the caller ever sees it."""
        if data.city is not None and data.lat is None and data.lon is None:
            await _budget(principal)
            point = await home.set_city(principal.user_id, data.city, service.check_lang(data.lang))
        elif data.lat is not None and data.lon is not None and data.city is None:
            point = await home.set_point(principal.user_id, Point(data.lat, data.lon))
        else:
            raise ValidationFailed("give lat and lon, or city", code="home_point_or_city",
                                           errors=[{"pointer": "/lat", "detail": "give lat and lon, or city"}])
        return HomeRead(lat=point.lat, lon=point.lon)

    @delete("/home", operation_id="delete_home_area", status_code=HTTP_204_NO_CONTENT, summary="Forget my area")
    async def delete_home(self, principal: SignedIn) -> None:
        """Forget the caller's home point."""
        await home.clear(principal.user_id)


class GeoVenueController(Controller):
    """Venues by address: geocoded in the background, the pin movable, de-duplicated; venues near a point."""

    path = "/geo/venues"

    @post("/", operation_id="create_venue_from_address", guards=[requires(CREATE)], status_code=HTTP_201_CREATED,
          opt={"codes": VENUE_CODES})
    async def create_venue(self, principal: SignedIn, data: JSONBody[VenueBody]) -> LocatedVenueRead:
        """Add a venue by its address (geocoded in the background unless a point is given).

        With a point it is placed at once; without one it is ``located: pending`` until the geocoder answers. An
        existing venue at that address (or of that name close by) is returned instead, with ``duplicate: true``.
        """
        if (data.latitude is None) != (data.longitude is None):
            raise ValidationFailed("latitude and longitude go together", code="coordinates_incomplete",
                                           errors=[{"pointer": "/longitude" if data.longitude is None
                                                    else "/latitude", "detail": "give both or neither"}])
        point = Point(data.latitude, data.longitude) if data.latitude is not None and data.longitude is not None \
            else None
        venue, duplicate = await venues.add(principal.user_id, name=data.name, address=data.address, city=data.city,
                                            point=point, lang=data.lang)
        return _venue(venue, duplicate)

    @put("/{venue_id:int}/pin", operation_id="move_venue_pin", guards=[requires(CREATE)], opt={"codes": PIN_CODES})
    async def move_pin(self, principal: SignedIn, venue_id: FromPath[int], data: JSONBody[PinBody]) -> LocatedVenueRead:
        """Move the venue's pin (its creator or a moderator); the time zone follows, and so do its coming events."""
        venue = await venues.move_pin(principal.user_id, venue_id, Point(data.latitude, data.longitude),
                                      moderator=principal.has(MODERATE))
        return _venue(venue, False)

    @get("/{venue_id:int}", operation_id="get_located_venue", opt={"codes": {404: ["venue_not_found"]}})
    async def get_venue(self, venue_id: FromPath[int]) -> LocatedVenueRead:
        """A venue with how it was located (``pending`` while being geocoded)."""
        return _venue(await events.venue_location(venue_id), False)

    @get("/", operation_id="list_venues_near", summary="Venues near a point", opt={"codes": NEAR_CODES})
    async def near(self, near: FromQuery[str], radius_km: FromQuery[float] = 2.0) -> list[VenueNearRead]:
        """Located venues within ``radius_km`` (at most 50) of ``near=lat,lon``, nearest first, with distances."""
        point = _near(near)
        if not 0 < radius_km <= MAX_RADIUS_KM:
            raise InvalidParameter("radius_km is more than 0 and at most %(max_radius_km)g",
                                   params={"max_radius_km": MAX_RADIUS_KM}, code="radius_too_large",
                                   errors=[{"parameter": "radius_km", "in": "query", "detail": "0 < radius_km <= 50"}])
        rows = await events.venues_near(point.lat, point.lon, radius_km, limit=50)
        return [VenueNearRead(id=v.id, name=v.name, address=v.address, city=v.city, latitude=v.latitude or 0.0,
                              longitude=v.longitude or 0.0, timezone=v.timezone, distance_km=round(km, 3))
                for v, km in rows]


def _venue(venue: Any, duplicate: bool) -> LocatedVenueRead:
    return LocatedVenueRead(id=venue.id, name=venue.name, address=venue.address, city=venue.city,
                            latitude=venue.latitude, longitude=venue.longitude, timezone=venue.timezone,
                            located=venue.located, duplicate=duplicate)
