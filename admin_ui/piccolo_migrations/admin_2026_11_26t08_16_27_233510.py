from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-26T08:16:27:233510"
VERSION = "1.38.0"
DESCRIPTION = "audit_moved_to_core"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="admin", description=DESCRIPTION
    )

    manager.drop_table(
        class_name="AuditEntry", tablename="audit_entry", schema="admin"
    )

    return manager
