from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-26T02:29:20:567690"
VERSION = "1.38.0"
DESCRIPTION = "drop_events_columns"


# Backwards, Piccolo adds the columns and the table again (empty: participants live in events' tables now); the
# previous migration's way back fills event_id from each notification's subject.


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="notify", description=DESCRIPTION
    )

    manager.drop_table(
        class_name="Participant", tablename="participant", schema="notify"
    )

    manager.drop_column(
        table_class_name="Notification",
        tablename="notification",
        column_name="dedupe_key",
        db_column_name="dedupe_key",
        schema="notify",
    )

    manager.drop_column(
        table_class_name="Notification",
        tablename="notification",
        column_name="event_id",
        db_column_name="event_id",
        schema="notify",
    )

    return manager
