"""How to get to an event: a provider's route and ETA from the user's position, or the offline estimate, and links.

The position comes with the request and is used for this answer only: it is not stored, not logged and not cached
(routes are never cached for that reason).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core import clock
from core.errors import Conflict, NotFound
from plugins.events import api as events
from plugins.geo import service
from plugins.geo.hookspecs import Mode, Point

VISIBLE = ("published", "finished")


async def _event(viewer_id: int | None, event_id: int) -> events.EventInfo:
    """The event if the viewer may see where it is: public and published, or theirs, or they take part."""
    event = await events.get_event_info(event_id)
    if event.status in VISIBLE and event.visibility == "public":
        return event
    if viewer_id is not None and (event.author_id == viewer_id
                                  or await events.participation_status(event_id, viewer_id) is not None):
        return event
    raise NotFound("event %(event_id)s not found", params={"event_id": event_id}, code="event_not_found")


async def directions(viewer_id: int | None, event_id: int, origin: Point | None, mode: Mode) -> dict[str, Any]:
    """The directions document (see ``DirectionsRead``); 409 ``event_has_no_place`` for online or unlocated ones."""
    event = await _event(viewer_id, event_id)
    if event.latitude is None or event.longitude is None:
        raise Conflict("the event has no place on the map (online, or its venue is not located yet)",
                       code="event_has_no_place")
    destination = Point(event.latitude, event.longitude)
    if origin is not None:
        origin = service.check_point(origin.lat, origin.lon, "/origin")
    out: dict[str, Any] = {
        "event_id": event.id, "destination": {"lat": destination.lat, "lon": destination.lon}, "mode": mode,
        "route": None, "provider": None, "fallback": False, "straight_km": None, "walking_minutes": None,
        "eta": None, "links": service.deep_links(destination, origin, mode),
        "static_map_url": service.static_map_url(destination),
    }
    if origin is None:
        return out
    km, minutes = service.straight_line(origin, destination)
    route, provider = await service.route_or_estimate(origin, destination, mode)
    out.update(straight_km=round(km, 3), walking_minutes=minutes, provider=provider)
    if route is not None:
        out.update(route={"mode": route.mode, "distance_m": route.distance_m, "duration_s": route.duration_s,
                          "line": [list(p) for p in route.line]},
                   eta=clock.now() + timedelta(seconds=route.duration_s))
    else:
        out.update(fallback=True, eta=clock.now() + timedelta(minutes=minutes) if mode == "walk" else None)
    return out
