"""Raw step Piccolo cannot express: a partial index over the live part of the outbox."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-25T03:56:27:703444"
VERSION = "1.38.0"
DESCRIPTION = "outbox_partial_index"

# The dispatcher's claim reads only unfinished rows ordered by due_at; sent/failed/cancelled rows pile up forever,
# so index just the live part of the outbox (Piccolo cannot declare a partial index on a column).
UP = (
    "CREATE INDEX IF NOT EXISTS notification_live_due ON notify.notification (due_at) "
    "WHERE status IN ('pending', 'queued', 'sending')"
)
DOWN = "DROP INDEX IF EXISTS notify.notification_live_due"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notify", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl(UP)  # joins the migration's transaction

    async def run_backwards():
        await engine_finder().run_ddl(DOWN)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
