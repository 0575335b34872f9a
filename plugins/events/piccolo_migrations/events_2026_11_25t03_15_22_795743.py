"""Raw steps Piccolo cannot express: the full-text tsvector, the feed's partial indexes, one place per user."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-25T03:15:22:795743"
VERSION = "1.38.0"
DESCRIPTION = "search_and_geo_indexes"

FEED = "status = 'published' AND visibility = 'public' AND deleted_at IS NULL"

STEPS = [
    # Russian and English stems of title (weight A) and description (weight B) in one generated column.
    """ALTER TABLE events.event ADD COLUMN search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('russian'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('russian'::regconfig, coalesce(description, '')), 'B')
        || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')
    ) STORED""",
    "CREATE INDEX event_search_gin ON events.event USING gin (search)",
    # The near-me feed: a bounding box on the coordinates of public published events, refined by distance.
    # INCLUDE (ends_at, id): the candidates of a page come from the index alone (an index-only scan).
    f"CREATE INDEX event_feed_geo ON events.event (latitude, longitude, starts_at) INCLUDE (ends_at, id) WHERE {FEED}",
    # The time-ordered feed and its keyset cursor.
    f"CREATE INDEX event_feed_time ON events.event (starts_at, id) WHERE {FEED}",
    "CREATE INDEX event_tags_gin ON events.event USING gin (tags)",
    # One participation row per user and event (rejoining reuses it).
    "CREATE UNIQUE INDEX participation_event_user ON events.participation (event, \"user\")",
    "CREATE INDEX participation_waitlist ON events.participation (event, queued_at, id) WHERE status = 'waitlisted'",
    "CREATE INDEX participation_offers ON events.participation (offer_expires_at) WHERE status = 'offered'",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for sql in STEPS:
            await engine.run_ddl(sql)  # joins the migration's transaction

    manager.add_raw(run)
    return manager
