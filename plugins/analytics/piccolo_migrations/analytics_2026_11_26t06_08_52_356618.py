from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-26T06:08:52:356618"
VERSION = "1.38.0"
DESCRIPTION = "support ticket facts and daily ticket figures"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="analytics", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="PlatformDaily",
        tablename="platform_daily",
        column_name="tickets_opened",
        db_column_name="tickets_opened",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="analytics",
    )

    manager.add_column(
        table_class_name="PlatformDaily",
        tablename="platform_daily",
        column_name="tickets_replied",
        db_column_name="tickets_replied",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="analytics",
    )

    manager.add_column(
        table_class_name="PlatformDaily",
        tablename="platform_daily",
        column_name="tickets_resolved",
        db_column_name="tickets_resolved",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="analytics",
    )

    manager.alter_column(
        table_class_name="Fact",
        tablename="fact",
        column_name="event_id",
        db_column_name="event_id",
        params={"default": None, "null": True},
        old_params={"default": 0, "null": False},
        column_class=Integer,
        old_column_class=Integer,
        schema="analytics",
    )

    manager.alter_column(
        table_class_name="Fact",
        tablename="fact",
        column_name="author_id",
        db_column_name="author_id",
        params={"default": None, "null": True},
        old_params={"default": 0, "null": False},
        column_class=Integer,
        old_column_class=Integer,
        schema="analytics",
    )

    return manager
