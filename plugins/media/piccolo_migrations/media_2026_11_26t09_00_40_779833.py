from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-26T09:00:40:779833"
VERSION = "1.38.0"
DESCRIPTION = "drop_old_reports"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="media", description=DESCRIPTION
    )

    manager.drop_table(class_name="Report", tablename="report", schema="media")

    return manager
