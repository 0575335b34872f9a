"""Index documents: built from events' public snapshots (and groups' payloads), the same for every backend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from plugins.events.api import EventDocument
from plugins.search import text


@dataclass(frozen=True)
class EventDoc:
    """One event as a search index holds it."""

    id: int
    title: str
    description: str
    tags: tuple[str, ...]
    category: str | None
    city: str
    venue_id: int | None
    venue_name: str
    author_id: int
    group_id: int | None
    starts_at: datetime
    ends_at: datetime
    timezone: str
    latitude: float | None
    longitude: float | None
    online: bool
    price_cents: int | None
    seats_left: int | None
    rating: float | None
    joined: int


@dataclass(frozen=True)
class DirectoryDoc:
    """A group, venue or organiser as a search index holds it."""

    kind: str  # group | venue | organiser
    ref_id: int
    title: str
    subtitle: str
    city: str
    tags: tuple[str, ...]
    latitude: float | None
    longitude: float | None
    weight: int

    @property
    def key(self) -> str:
        """The document's id in Typesense."""
        return f"{self.kind}-{self.ref_id}"


def event_doc(d: EventDocument) -> EventDoc:
    """The index document of an event."""
    i = d.info
    seats_left = None if i.capacity is None else max(i.capacity - d.seats_taken, 0)
    return EventDoc(i.id, i.title, d.description[:4000], i.tags, i.category, i.city or "", i.venue_id,
                    i.venue_name or "", i.author_id, i.group_id, i.starts_at, i.ends_at, i.timezone, i.latitude,
                    i.longitude, i.online, d.price_cents, seats_left, d.rating_rank, d.seats_taken)


def venue_doc(d: EventDocument) -> DirectoryDoc | None:
    """The venue of an event, as a directory document (None for an online event)."""
    i = d.info
    if i.venue_id is None or not i.venue_name:
        return None
    return DirectoryDoc("venue", i.venue_id, i.venue_name, i.city or "", i.city or "", (), i.latitude, i.longitude, 0)


def group_doc(payload: dict[str, Any]) -> DirectoryDoc | None:
    """A group from its snapshot (groups' ``GroupInfo`` as a dict); None when it must not be found (not public)."""
    if payload.get("visibility") != "public" or payload.get("deleted") or payload.get("hidden"):
        return None
    return DirectoryDoc("group", int(payload["id"]), str(payload["name"])[:200], str(payload["description"])[:300],
                        str(payload.get("city") or ""), tuple(payload.get("tags") or ()), payload.get("latitude"),
                        payload.get("longitude"), int(payload.get("member_count") or 0))


def typesense_event(doc: EventDoc) -> dict[str, Any]:
    """The Typesense document of an event (times as Unix seconds; facets as strings)."""
    out: dict[str, Any] = {
        "id": str(doc.id), "title": doc.title, "stems": " ".join(text.stems([doc.title, doc.description,
                                                                               " ".join(doc.tags)])),
        "tags": list(doc.tags), "category": doc.category or "", "city": doc.city, "venue_name": doc.venue_name,
        "author_id": doc.author_id, "starts_at": int(doc.starts_at.timestamp()),
        "ends_at": int(doc.ends_at.timestamp()), "timezone": doc.timezone, "online": doc.online,
        "price": "unknown" if doc.price_cents is None else "free" if doc.price_cents == 0 else "paid",
        "seats": "full" if doc.seats_left == 0 else "available", "rating": float(doc.rating or 0.0),
        "joined": doc.joined,
    }
    if doc.latitude is not None and doc.longitude is not None:
        out["location"] = [doc.latitude, doc.longitude]
    if doc.price_cents is not None:
        out["price_cents"] = doc.price_cents
    if doc.seats_left is not None:
        out["seats_left"] = doc.seats_left
    if doc.rating is not None:
        out["rated"] = doc.rating
    return out


def typesense_directory(doc: DirectoryDoc) -> dict[str, Any]:
    """The Typesense document of a group, venue or organiser."""
    out: dict[str, Any] = {"id": doc.key, "kind": doc.kind, "ref_id": doc.ref_id, "title": doc.title,
                           "subtitle": doc.subtitle, "city": doc.city, "tags": list(doc.tags),
                           "stems": " ".join(text.stems([doc.title, doc.subtitle])), "weight": doc.weight}
    if doc.latitude is not None and doc.longitude is not None:
        out["location"] = [doc.latitude, doc.longitude]
    return out
