"""Raw steps Piccolo cannot express: the tsvectors of the search index, its GIN and geo indexes, the outbox order."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T05:30:40:000000"
VERSION = "1.38.0"
DESCRIPTION = "search_indexes"

STEPS = [
    # Title (A), tags, category and place (B, unstemmed), description (C): Russian and English stems, as events'.
    """ALTER TABLE search.event_doc ADD COLUMN search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('russian'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
        || setweight(array_to_tsvector(tags::text[]), 'B')
        || setweight(to_tsvector('simple'::regconfig, coalesce(category, '') || ' ' || coalesce(city, '') || ' '
                                 || coalesce(venue_name, '')), 'B')
        || setweight(to_tsvector('russian'::regconfig, coalesce(description, '')), 'C')
        || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'C')
    ) STORED""",
    "CREATE INDEX event_doc_search ON search.event_doc USING gin (search)",
    "CREATE INDEX event_doc_tags ON search.event_doc USING gin (tags)",
    "CREATE INDEX event_doc_starts ON search.event_doc (starts_at, event_id)",
    "CREATE INDEX event_doc_geo ON search.event_doc (latitude, longitude, starts_at)",
    "CREATE INDEX event_doc_category ON search.event_doc (category, starts_at)",
    "CREATE INDEX event_doc_city ON search.event_doc (city, starts_at)",
    """ALTER TABLE search.directory_doc ADD COLUMN search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('russian'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
        || setweight(array_to_tsvector(tags::text[]), 'B')
        || setweight(to_tsvector('simple'::regconfig, coalesce(city, '')), 'B')
        || setweight(to_tsvector('russian'::regconfig, coalesce(subtitle, '')), 'C')
        || setweight(to_tsvector('english'::regconfig, coalesce(subtitle, '')), 'C')
    ) STORED""",
    "CREATE INDEX directory_doc_search ON search.directory_doc USING gin (search)",
    "CREATE INDEX outbox_target ON search.outbox (target, id)",
    "CREATE INDEX signal_user_at ON search.signal (user_id, at)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="search", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for sql in STEPS:
            await engine.run_ddl(sql)  # joins the migration's transaction

    manager.add_raw(run)
    return manager
