"""Make the audit log append-only: a trigger refuses UPDATE and DELETE on admin.audit_entry (hand-written)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-25T03:15:11:503417"
VERSION = "1.38.0"
DESCRIPTION = "append_only"

# One statement per string: asyncpg prepares each query, and a prepared statement holds one command.
FORWARDS = [
    """CREATE OR REPLACE FUNCTION admin.audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'admin.audit_entry is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$""",
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON admin.audit_entry",
    """CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON admin.audit_entry
    FOR EACH ROW EXECUTE FUNCTION admin.audit_entry_append_only()""",
]

BACKWARDS = [
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON admin.audit_entry",
    "DROP FUNCTION IF EXISTS admin.audit_entry_append_only()",
]


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="admin", description=DESCRIPTION)

    async def run():
        for sql in FORWARDS:
            await RawTable.raw(sql)

    async def run_backwards():
        for sql in BACKWARDS:
            await RawTable.raw(sql)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
