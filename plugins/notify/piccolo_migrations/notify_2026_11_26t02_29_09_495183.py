"""Data: kinds renamed to ``<plugin>.<kind>``; keys, subjects and an index for pending rows."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T02:29:09:495183"
VERSION = "1.38.0"
DESCRIPTION = "old_kind_names"

RENAMED = {
    "verification": "notify.verification",
    "event_submitted": "events.submitted",
    "event_published": "events.published",
    "event_rejected": "events.rejected",
    "event_changed": "events.changed",
    "event_cancelled": "events.cancelled",
    "waitlist_offer": "events.waitlist_offer",
    "reminder": "events.reminder",
}

# Rows still to be delivered, including those a worker was sending during the deploy: a failed send puts them back
# to pending, and the templates (StrictUndefined) need their new payload, key and expiry.
PENDING = "status IN ('pending', 'queued', 'sending')"
STEPS = [
    # Replacing and withdrawing look up pending rows by key (one key is shared by every participant of an event).
    "CREATE INDEX notification_pending_key ON notify.notification (key, user_id) WHERE status IN ('pending', 'queued')",
    # What each notification is about, for the delivery log (event_id goes in the next migration).
    "UPDATE notify.notification SET subject = 'events.event:' || event_id WHERE event_id IS NOT NULL",
    # Pending reminders and offers get the keys events now uses to replace and withdraw them.
    f"UPDATE notify.notification SET key = 'events.event:' || event_id || ':reminder', "
    f"expires_at = (payload->'event'->>'starts_at')::timestamptz WHERE kind = 'reminder' AND {PENDING}",
    f"UPDATE notify.notification SET key = 'events.event:' || event_id || ':offer', "
    f"expires_at = (payload->>'expires_at')::timestamptz WHERE kind = 'waitlist_offer' AND {PENDING}",
    f"UPDATE notify.notification SET urgent_if_today = (payload->'event'->>'starts_at')::timestamptz "
    f"WHERE kind = 'event_cancelled' AND {PENDING}",
    # Templates now take the place as given by events (it used to be computed by notify).
    f"UPDATE notify.notification SET payload = payload || jsonb_build_object('place', COALESCE(NULLIF(concat_ws(', ', "
    f"NULLIF(payload->'event'->>'venue_name', ''), NULLIF(payload->'event'->>'city', '')), ''), "
    f"CASE WHEN (payload->'event'->>'online')::boolean THEN 'online' ELSE '' END)) "
    f"WHERE payload ? 'event' AND {PENDING}",
    # A preference's key is <user>:<kind>:<channel>.
    *(f"UPDATE notify.preference SET kind = '{new}', key = user_id || ':{new}:' || channel WHERE kind = '{old}'"
      for old, new in RENAMED.items()),
    *(f"UPDATE notify.{table} SET kind = '{new}' WHERE kind = '{old}'"
      for table in ("notification", "attempt", "inbox_item") for old, new in RENAMED.items()),
]


# The way back: old kind names, and each notification's event_id from its subject. The next migration's way back has
# added the event_id column again by then (Piccolo runs a migration's raw steps before its column changes, so that
# migration could not fill the column it restores). Keys, subjects, expiries and the payload's ``place`` stay: the
# previous migration's way back drops those columns, and an extra payload key is ignored by the old templates.
BACK = [
    "UPDATE notify.notification SET event_id = split_part(subject, ':', 2)::int "
    "WHERE subject ~ '^events\\.event:[0-9]+$'",
    *(f"UPDATE notify.preference SET kind = '{old}', key = user_id || ':{old}:' || channel WHERE kind = '{new}'"
      for old, new in RENAMED.items()),
    *(f"UPDATE notify.{table} SET kind = '{old}' WHERE kind = '{new}'"
      for table in ("notification", "attempt", "inbox_item") for old, new in RENAMED.items()),
    "DROP INDEX IF EXISTS notify.notification_pending_key",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notify", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for sql in STEPS:
            await engine.run_ddl(sql)  # joins the migration's transaction

    async def run_backwards():
        engine = engine_finder()
        for sql in BACK:
            await engine.run_ddl(sql)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
