"""The raw SQL of events that earns its place (row locks, the feed, set statements); the rest goes through Piccolo.

Every public constant here is a complete statement: ``tests/test_sql_contract.py`` prepares each against the migrated
database, so a column renamed in ``tables.py`` fails the suite. Statements run with Piccolo's ``Table.raw`` (they join
the current transaction) take ``{}`` placeholders; those run with ``core.db.fetch`` (the feed) take ``$n``.
"""

from __future__ import annotations

from core.geo import distance_sql

_EVENT_COLUMNS = (
    "e.id, e.title, e.description, e.tags, e.category, e.cover_ref, e.starts_at, e.ends_at, e.timezone, "
    "e.venue AS venue_id, e.latitude, e.longitude, e.online_url, e.capacity, e.seats_taken, e.price_text, "
    "e.price_cents, e.visibility, e.group_id, e.share_key, e.requires_approval, e.author AS author_id, e.status, "
    "e.series AS series_id, e.version, e.submitted_at, e.created_at, e.updated_at, e.deleted_at, e.rating_figures, "
    "v.name AS venue_name, v.address AS venue_address, v.city AS venue_city"
)

EVENT_FOR_UPDATE = (
    f"SELECT {_EVENT_COLUMNS} FROM events.event e LEFT JOIN events.venue v ON v.id = e.venue WHERE e.id = {{}} "
    "FOR UPDATE OF e"  # the event row only: joins, leaves and edits of one event queue up here
)
"""An event (with its venue's name and address) under its row lock, for the rest of the transaction."""

JOINED_SINCE = (
    "SELECT p.id AS pid, p.event AS event_id, p.status, p.guests, p.offer_expires_at, "
    "greatest(p.updated_at, e.updated_at) AS changed_at, e.title, e.starts_at, e.ends_at, e.status AS event_status, "
    "e.deleted_at FROM events.participation p JOIN events.event e ON e.id = p.event "
    "WHERE p.\"user\" = $1 AND greatest(p.updated_at, e.updated_at) > $2 "
    "AND (greatest(p.updated_at, e.updated_at), p.id) > ($3, $4) "
    "ORDER BY greatest(p.updated_at, e.updated_at), p.id LIMIT $5"
)
"""A user's participations changed (theirs or their event's) since $2, keyset-paged on (change time, id)."""

USERS_SHARE_EVENT = (
    "SELECT 1 FROM events.participation p JOIN events.participation q ON q.event = p.event "
    "WHERE p.\"user\" = $1 AND q.\"user\" = $2 AND p.status = 'confirmed' AND q.status = 'confirmed' "
    "UNION ALL SELECT 1 FROM events.event e JOIN events.participation p ON p.event = e.id "
    "WHERE p.status = 'confirmed' AND ((e.author = $1 AND p.\"user\" = $2) OR (e.author = $2 AND p.\"user\" = $1)) "
    "LIMIT 1"
)
"""Whether two users take part in the same event (or one authored one the other takes part in)."""

# The feed: the candidates come from an index alone (ids and sort keys), then only the page's rows touch the heap.
# ``feed.build`` adds the optional filters where ``/*filters*/`` stands (``AND …`` with further ``$n``).
_FEED_VISIBLE = "e.status = 'published' AND e.visibility = 'public' AND e.deleted_at IS NULL AND e.ends_at > $1"
_FEED_OUTER = (
    "e.id, e.title, e.starts_at, e.ends_at, e.timezone, e.tags, e.category, e.cover_ref, e.price_text, "
    "e.price_cents, e.latitude, e.longitude, (e.online_url IS NOT NULL) AS online, e.capacity, "
    "CASE WHEN e.capacity IS NULL THEN NULL ELSE greatest(e.capacity - e.seats_taken, 0) END AS seats_left, "
    "e.rating_rank, v.name AS venue_name, v.city"
)
# great-circle km from ($3, $4); the bounding box on ($5..$8) is what the geo index serves (core.geo: one helper)
_DISTANCE = distance_sql("e.latitude", "e.longitude", "$3", "$4")
_FEED_JOIN = "JOIN events.event e ON e.id = c.id LEFT JOIN events.venue v ON v.id = e.venue ORDER BY c.sort_key, c.id"
_BY_START = f"SELECT {_FEED_OUTER}, NULL::float8 AS distance_km FROM (SELECT e.id, e.starts_at AS sort_key " \
    f"FROM events.event e WHERE {_FEED_VISIBLE}"
_BY_DISTANCE = f"SELECT {_FEED_OUTER}, c.sort_key AS distance_km FROM (SELECT e.id, {_DISTANCE} AS sort_key " \
    f"FROM events.event e WHERE {_FEED_VISIBLE} AND e.latitude BETWEEN $5 AND $6 AND {_DISTANCE} <= $7"

FEED_BY_START = f"{_BY_START} /*filters*/ ORDER BY e.starts_at, e.id LIMIT $2) c {_FEED_JOIN}"
"""The first feed page by start time: $1 now, $2 page size + 1, then the filters' values."""
FEED_BY_START_AFTER = (
    f"{_BY_START} AND (e.starts_at, e.id) > ($3, $4) /*filters*/ ORDER BY e.starts_at, e.id LIMIT $2) c {_FEED_JOIN}"
)
"""A further feed page by start time: as :data:`FEED_BY_START`, after the row ($3 starts_at, $4 id)."""
FEED_BY_DISTANCE = f"{_BY_DISTANCE} /*filters*/ ORDER BY 2, e.id LIMIT $2) c {_FEED_JOIN}"
"""The first near-me page: $1 now, $2 page size + 1, $3/$4 the point, $5/$6 the latitude band, $7 the radius (km)."""
FEED_BY_DISTANCE_AFTER = (
    f"{_BY_DISTANCE} AND ({_DISTANCE}, e.id) > ($8::float8, $9) /*filters*/ ORDER BY 2, e.id LIMIT $2) c {_FEED_JOIN}"
)
"""A further near-me page: as :data:`FEED_BY_DISTANCE`, after the row ($8 distance, $9 id)."""

# Sorted by rating (``sort=rating``): the organiser's ranking score set by the reviews plugin, best first, unrated
# last; the partial index ``event_feed_rating`` serves the order and the cursor.
_RATING = "COALESCE(e.rating_rank, 0)"
_BY_RATING = f"SELECT {_FEED_OUTER}, NULL::float8 AS distance_km FROM (SELECT e.id, {_RATING} AS sort_key " \
    f"FROM events.event e WHERE {_FEED_VISIBLE}"
_FEED_JOIN_DESC = ("JOIN events.event e ON e.id = c.id LEFT JOIN events.venue v ON v.id = e.venue "
                   "ORDER BY c.sort_key DESC, c.id DESC")
FEED_BY_RATING = f"{_BY_RATING} /*filters*/ ORDER BY {_RATING} DESC, e.id DESC LIMIT $2) c {_FEED_JOIN_DESC}"
"""The first feed page by rating: $1 now, $2 page size + 1, then the filters' values."""
FEED_BY_RATING_AFTER = (
    f"{_BY_RATING} AND ({_RATING}, e.id) < ($3::float8, $4) /*filters*/ ORDER BY {_RATING} DESC, e.id DESC "
    f"LIMIT $2) c {_FEED_JOIN_DESC}"
)
"""A further feed page by rating: as :data:`FEED_BY_RATING`, after the row ($3 rating or 0, $4 id)."""

# Venues near a point (the geo plugin's de-duplication and "venues near me"): the same box-then-distance as the feed.
_VENUE_DISTANCE = distance_sql("v.latitude", "v.longitude", "$1::float8", "$2::float8")
VENUES_NEAR = (
    "SELECT * FROM (SELECT v.id, v.name, v.address, v.city, v.latitude, v.longitude, v.timezone, v.located, "
    f"v.created_by, {_VENUE_DISTANCE} AS distance_km FROM events.venue v "
    "WHERE v.latitude BETWEEN $3::float8 AND $4::float8 "
    "AND ($5::float8 IS NULL OR v.longitude BETWEEN $5::float8 AND $6::float8)) c "
    "WHERE c.distance_km <= $7::float8 ORDER BY c.distance_km, c.id LIMIT $8"
)
"""Located venues nearest first: $1/$2 the point, $3/$4 the latitude band, $5/$6 the longitude band (NULL across the
antimeridian), $7 the radius (km), $8 how many."""
