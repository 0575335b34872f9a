"""The audit log moves into core: keep the panel's rows, and refuse UPDATE and DELETE (hand-written)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-26T08:15:32:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit_append_only"

COLUMNS = "id, actor_id, actor_label, action, object_type, object_id, before, after, reason, ip, created_at"

# One statement per string: asyncpg prepares each query, and a prepared statement holds one command.
FORWARDS = [
    # The rows the panel wrote in admin.audit_entry (when the admin app ran): copied with their ids, so links to
    # entries stay valid; the admin app drops its table in a later migration (it depends on this app).
    f"""DO $$ BEGIN
    IF to_regclass('admin.audit_entry') IS NOT NULL THEN
        INSERT INTO users.audit_entry ({COLUMNS}, origin)
        SELECT {COLUMNS}, 'admin' FROM admin.audit_entry ORDER BY id;
        PERFORM setval(pg_get_serial_sequence('users.audit_entry', 'id'),
                       GREATEST((SELECT COALESCE(MAX(id), 0) FROM users.audit_entry), 1));
    END IF;
END $$""",
    """CREATE OR REPLACE FUNCTION users.audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'users.audit_entry is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$""",
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON users.audit_entry",
    """CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON users.audit_entry
    FOR EACH ROW EXECUTE FUNCTION users.audit_entry_append_only()""",
]

BACKWARDS = [
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON users.audit_entry",
    "DROP FUNCTION IF EXISTS users.audit_entry_append_only()",
]


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="users", description=DESCRIPTION)

    async def run():
        for sql in FORWARDS:
            await RawTable.raw(sql)

    async def run_backwards():
        for sql in BACKWARDS:
            await RawTable.raw(sql)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
