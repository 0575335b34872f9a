"""Raw step: the feed sorted by rating (``sort=rating``) and its keyset cursor, over public published events."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T05:18:04:457231"
VERSION = "1.38.0"
DESCRIPTION = "rating_feed_index"

FEED = "status = 'published' AND visibility = 'public' AND deleted_at IS NULL"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl(
            f"CREATE INDEX event_feed_rating ON events.event ((COALESCE(rating_rank, 0)) DESC, id DESC) "
            f"INCLUDE (ends_at) WHERE {FEED}")

    async def run_backwards():
        await engine_finder().run_ddl("DROP INDEX IF EXISTS events.event_feed_rating")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
