"""The raw SQL of groups that earns its place: the search (full text, tags, near-me with a keyset on distance).

Every public constant here is a complete statement (``tests/test_sql_contract.py`` prepares each against the migrated
database); they run with ``core.db.fetch`` and take ``$n``. A NULL argument switches its filter off.
"""

from __future__ import annotations

from core.geo import distance_sql

_LISTED = "g.visibility = 'public' AND g.deleted_at IS NULL AND g.hidden_at IS NULL"  # hidden: by reports
_COLUMNS = (
    "g.id, g.name, g.slug, g.description, g.cover_ref, g.tags, g.city, g.latitude, g.longitude, g.visibility, "
    "g.join_policy, g.member_count, g.follower_count"
)
_FILTERS = (
    "($1::text IS NULL OR g.search @@ (websearch_to_tsquery('russian', $1::text) "
    "|| websearch_to_tsquery('english', $1::text))) AND ($2::varchar[] IS NULL OR g.tags @> $2::varchar[])"
)
_DISTANCE = distance_sql("g.latitude", "g.longitude", "$4::float8", "$5::float8")  # great-circle km (core.geo)

SEARCH_NEWEST = (
    f"SELECT {_COLUMNS}, NULL::float8 AS distance_km FROM groups.\"group\" g WHERE {_LISTED} AND {_FILTERS} "
    "AND ($4::int IS NULL OR g.id < $4::int) ORDER BY g.id DESC LIMIT $3"
)
"""Listed groups, newest first: $1 text or NULL, $2 tags (all of them) or NULL, $3 page size + 1, $4 after id."""

SEARCH_NEAREST = (
    f"SELECT * FROM (SELECT {_COLUMNS}, {_DISTANCE} AS distance_km FROM groups.\"group\" g "
    f"WHERE {_LISTED} AND {_FILTERS} AND g.latitude BETWEEN $6::float8 AND $7::float8 "
    "AND ($8::float8 IS NULL OR g.longitude BETWEEN $8::float8 AND $9::float8)) c "
    "WHERE c.distance_km <= $10::float8 "
    "AND ($11::float8 IS NULL OR (c.distance_km, c.id) > ($11::float8, $12::int)) ORDER BY c.distance_km, c.id LIMIT $3"
)
"""Listed groups nearest first: as :data:`SEARCH_NEWEST`, $4/$5 the point, $6/$7 the latitude band, $8/$9 the
longitude band (NULL across the antimeridian), $10 the radius (km), $11/$12 after (distance, id)."""

USERS_SHARE_GROUP = (
    "SELECT 1 FROM groups.member a JOIN groups.member b ON b.\"group\" = a.\"group\" "
    "JOIN groups.\"group\" g ON g.id = a.\"group\" "
    "WHERE a.\"user\" = $1 AND b.\"user\" = $2 AND a.state = 'active' AND b.state = 'active' "
    "AND g.deleted_at IS NULL LIMIT 1"
)
"""Whether two users are active members of the same (not deleted) group."""
