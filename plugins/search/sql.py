"""The raw SQL of search that earns its place: the PostgreSQL backend's queries and facets, outbox batches, "for you".

Every public constant is a complete statement with ``$n`` placeholders, run with ``core.db.fetch``/``execute``;
``tests/test_sql_contract.py`` prepares each against the migrated database. ``backends/postgres.py`` adds the
optional filters where ``/*filters*/`` stands (``AND …`` with further ``$n``).
"""

from __future__ import annotations

from core.geo import distance_sql

# ---- the PostgreSQL backend: events --------------------------------------------------------------------------------
_TSQ = "(to_tsquery('russian', $4) || to_tsquery('english', $4))"
_DISTANCE = distance_sql("d.latitude", "d.longitude", "$5", "$6")  # great-circle km from ($5, $6)
_HIT = (
    "d.event_id AS id, d.title, d.starts_at, d.ends_at, d.timezone, d.tags, d.category, d.city, d.venue_name, "
    "d.online, d.price_cents, d.seats_left, d.latitude, d.longitude, d.rating, "
    f"CASE WHEN $4 = '' THEN 0 ELSE ts_rank_cd(d.search, {_TSQ}) END AS rank, "
    f"CASE WHEN $5::float8 IS NULL OR d.latitude IS NULL THEN NULL ELSE {_DISTANCE} END AS distance_km"
)
_PAGE = f"SELECT {_HIT} FROM search.event_doc d WHERE d.ends_at > $1 /*filters*/ "

EVENTS_BY_DATE = f"{_PAGE} ORDER BY d.starts_at, d.event_id LIMIT $2 OFFSET $3"
"""A page by start time: $1 now, $2 limit, $3 offset, $4 tsquery text ('' for none), $5/$6 the point or NULL."""
EVENTS_BY_RELEVANCE = f"{_PAGE} ORDER BY rank DESC, d.starts_at, d.event_id LIMIT $2 OFFSET $3"
"""A page by relevance (the words' rank, title first), then start time: parameters as :data:`EVENTS_BY_DATE`."""
EVENTS_BY_DISTANCE = f"{_PAGE} ORDER BY distance_km NULLS LAST, d.starts_at, d.event_id LIMIT $2 OFFSET $3"
"""A page by distance from ($5, $6): parameters as :data:`EVENTS_BY_DATE`."""
EVENTS_BY_RATING = (
    f"{_PAGE} ORDER BY d.rating DESC NULLS LAST, d.starts_at, d.event_id LIMIT $2 OFFSET $3"
)
"""A page by the organiser's rating, unrated last: parameters as :data:`EVENTS_BY_DATE`."""

FACET_COUNTS = (
    "SELECT count(*) AS found, "
    "count(*) FILTER (WHERE d.starts_at >= $2 AND d.starts_at < $3) AS today, "
    "count(*) FILTER (WHERE d.starts_at >= $4 AND d.starts_at < $5) AS tomorrow, "
    "count(*) FILTER (WHERE d.starts_at >= $6 AND d.starts_at < $7) AS this_weekend, "
    "count(*) FILTER (WHERE d.starts_at >= $8 AND d.starts_at < $9) AS next_7_days, "
    "count(*) FILTER (WHERE d.price_cents = 0) AS free, count(*) FILTER (WHERE d.price_cents > 0) AS paid, "
    "count(*) FILTER (WHERE d.online) AS online, count(*) FILTER (WHERE NOT d.online) AS in_person, "
    "count(*) FILTER (WHERE d.seats_left IS NULL OR d.seats_left > 0) AS available, "
    "count(*) FILTER (WHERE d.seats_left = 0) AS full "
    "FROM search.event_doc d WHERE d.ends_at > $1 /*filters*/"
)
"""How many match, and the fixed facets' counts: $1 now, $2..$9 the date buckets' bounds (user's time zone)."""

FACET_TERMS = (
    "WITH m AS MATERIALIZED (SELECT d.category, d.city, d.tags FROM search.event_doc d "
    "WHERE d.ends_at > $1 /*filters*/) "
    "(SELECT 'category' AS facet, category AS value, count(*) AS n FROM m WHERE category IS NOT NULL "
    "GROUP BY category ORDER BY n DESC, value LIMIT $2) "
    "UNION ALL (SELECT 'city', city, count(*) AS n FROM m WHERE city <> '' GROUP BY city ORDER BY n DESC, city "
    "LIMIT $2) "
    "UNION ALL (SELECT 'tags', t, count(*) AS n FROM m, unnest(m.tags) t GROUP BY t ORDER BY n DESC, t LIMIT $2)"
)
"""The top values of category, city and tags among the matches: $1 now, $2 how many per facet."""

# ---- the PostgreSQL backend: groups, venues, organisers ---------------------------------------------------------
DIRECTORY_PAGE = (
    "SELECT d.kind, d.ref_id AS id, d.title, d.subtitle, d.city, count(*) OVER () AS found "
    "FROM search.directory_doc d, (SELECT to_tsquery('simple', $1::text) || to_tsquery('russian', $1::text) "
    "|| to_tsquery('english', $1::text) AS q) t "
    "WHERE d.search @@ t.q AND ($2::varchar IS NULL OR d.kind = $2) "
    "ORDER BY ts_rank_cd(d.search, t.q) DESC, d.weight DESC, d.id LIMIT $3 OFFSET $4"
)
"""Groups, venues and organisers matching $1 (tsquery text), of kind $2 (or all), $3 per page after $4."""

# ---- the outbox ---------------------------------------------------------------------------------------------------
CLAIM_OUTBOX = (
    "SELECT id, kind, ref_id, payload FROM search.outbox WHERE target = $1 ORDER BY id LIMIT $2 "
    "FOR UPDATE SKIP LOCKED"
)
"""The oldest $2 changes waiting for target $1, locked for this batch (another worker takes the next ones)."""

# ---- "for you" ----------------------------------------------------------------------------------------------------
AFFINITY = (
    "SELECT t AS term, sum(s.strength * exp(-extract(epoch FROM ($2 - s.at)) / 86400.0 / $3)) AS weight "
    "FROM search.signal s, unnest(s.tags || coalesce(('c:' || s.category)::varchar, '')) t "
    "WHERE s.user_id = $1 AND s.kind <> 'dismissed' AND t <> '' GROUP BY t ORDER BY weight DESC LIMIT 30"
)
"""The user's tags (and ``c:<category>``) from what they joined, reviewed or viewed, decaying with age ($3 days)."""

CANDIDATES = (
    "WITH c AS ("
    "(SELECT d.event_id FROM search.event_doc d WHERE d.ends_at > $1 AND d.tags && $2::varchar[] "
    "ORDER BY d.starts_at LIMIT 400) "
    "UNION (SELECT d.event_id FROM search.event_doc d WHERE d.ends_at > $1 AND d.category = ANY($3::varchar[]) "
    "ORDER BY d.starts_at LIMIT 200) "
    "UNION (SELECT d.event_id FROM search.event_doc d WHERE d.ends_at > $1 AND $4::float8 IS NOT NULL "
    "AND d.latitude BETWEEN $4::float8 AND $5::float8 "
    "AND ($6::float8 IS NULL OR d.longitude BETWEEN $6::float8 AND $7::float8) "
    "ORDER BY d.joined DESC LIMIT 300) "
    "UNION (SELECT d.event_id FROM search.event_doc d WHERE d.ends_at > $1 ORDER BY d.joined DESC, d.starts_at "
    "LIMIT 100) "
    "UNION (SELECT g.event_id FROM search.going g JOIN search.membership m ON m.user_id = g.user_id "
    "JOIN search.membership mine ON mine.group_id = m.group_id AND mine.user_id = $8 "
    "WHERE g.user_id <> $8 LIMIT 200)) "
    "SELECT d.event_id AS id, d.title, d.starts_at, d.ends_at, d.timezone, d.tags, d.category, d.city, "
    "d.venue_name, d.online, d.price_cents, d.seats_left, d.latitude, d.longitude, d.rating, d.joined, d.author_id, "
    "NULL::float8 AS distance_km, "
    "(SELECT count(DISTINCT g.user_id) FROM search.going g JOIN search.membership m ON m.user_id = g.user_id "
    " JOIN search.membership mine ON mine.group_id = m.group_id AND mine.user_id = $8 "
    " WHERE g.event_id = d.event_id AND g.user_id <> $8) AS group_going "
    "FROM c JOIN search.event_doc d ON d.event_id = c.event_id WHERE d.ends_at > $1 "
    "AND NOT EXISTS (SELECT 1 FROM search.going g WHERE g.event_id = d.event_id AND g.user_id = $8) "
    "AND NOT EXISTS (SELECT 1 FROM search.signal s WHERE s.user_id = $8 AND s.event_id = d.event_id "
    "AND s.kind = 'dismissed') "
    "AND NOT EXISTS (SELECT 1 FROM search.blocked_organiser b WHERE b.user_id = $8 AND b.organiser_id = d.author_id)"
)
"""The events worth scoring for user $8: matching their tags $2 or categories $3, near home (``core.geo``'s box:
latitude $4..$5, longitude $6..$7 or any when the box wraps the antimeridian; $4 null: no home), the most popular,
and those members of their groups go to; less joined, dismissed and blocked."""

TRY_APPLY_LOCK = "SELECT pg_try_advisory_xact_lock(hashtext('search.apply.' || $1)) AS ok"
"""Whether this transaction may apply target $1's outbox (false while a reindex of that target holds it)."""
REINDEX_LOCK = "SELECT pg_try_advisory_lock(hashtext('search.apply.' || $1)) AS ok"
"""Hold target $1's apply lock for a reindex (a session lock: released by :data:`REINDEX_UNLOCK`)."""
REINDEX_UNLOCK = "SELECT pg_advisory_unlock(hashtext('search.apply.' || $1)) AS ok"
"""Release a reindex's hold on target $1."""
