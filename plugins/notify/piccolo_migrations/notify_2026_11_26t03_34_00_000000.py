"""Raw steps: failed rows indexed by when they ended (the dashboard's alarm), delivery rows updated in place."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T03:34:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "failed_index_delivery_fillfactor"

# The previous step stopped declaring the indexes over every notification's status, due_at and subject and every
# attempt's time, but Piccolo drops an index by its bare name (not found outside the public schema): dropped here.
# Each status change of a notification wrote an entry into all of them; the live rows have their own partial
# indexes (notification_live_due, notification_pending_user_key), the subject is never searched, and the delivery
# log pages by id, which follows time. The dashboard counts the last day's failures from a small index of failed
# rows instead. A delivery row is written before its provider call and updated once after; room left in each page
# lets that update stay on the page without new index entries (a HOT update) instead of three per email.
UP = [
    *(f"DROP INDEX IF EXISTS notify.{name}" for name in (
        "notification_status", "notification_due_at", "notification_subject", "attempt_at")),
    "CREATE INDEX IF NOT EXISTS notification_failed ON notify.notification (finished_at) WHERE status = 'failed'",
    "ALTER TABLE notify.delivery SET (fillfactor = 50)",
]
DOWN = [  # the previous step's way back creates the dropped indexes again
    "ALTER TABLE notify.delivery RESET (fillfactor)",
    "DROP INDEX IF EXISTS notify.notification_failed",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notify", description=DESCRIPTION)

    async def run():
        for sql in UP:
            await engine_finder().run_ddl(sql)  # joins the migration's transaction

    async def run_backwards():
        for sql in DOWN:
            await engine_finder().run_ddl(sql)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
