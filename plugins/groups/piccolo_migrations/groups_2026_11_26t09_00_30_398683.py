from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-26T09:00:30:398683"
VERSION = "1.38.0"
DESCRIPTION = "hidden_groups_drop_chat_report"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="groups", description=DESCRIPTION
    )

    manager.drop_table(
        class_name="ChatReport", tablename="chat_report", schema="groups"
    )

    manager.add_column(
        table_class_name="Group",
        tablename="group",
        column_name="hidden_at",
        db_column_name="hidden_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="groups",
    )

    return manager
