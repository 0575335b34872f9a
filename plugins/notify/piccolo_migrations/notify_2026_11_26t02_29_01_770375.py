from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-26T02:29:01:770375"
VERSION = "1.38.0"
DESCRIPTION = "generic_notices"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="notify", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Notification",
        tablename="notification",
        column_name="expires_at",
        db_column_name="expires_at",
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
        schema="notify",
    )

    manager.add_column(
        table_class_name="Notification",
        tablename="notification",
        column_name="key",
        db_column_name="key",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 200,
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
        schema="notify",
    )

    manager.add_column(
        table_class_name="Notification",
        tablename="notification",
        column_name="subject",
        db_column_name="subject",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 120,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="notify",
    )

    manager.add_column(
        table_class_name="Notification",
        tablename="notification",
        column_name="urgent_if_today",
        db_column_name="urgent_if_today",
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
        schema="notify",
    )

    manager.alter_column(
        table_class_name="Attempt",
        tablename="attempt",
        column_name="kind",
        db_column_name="kind",
        params={"length": 80},
        old_params={"length": 40},
        column_class=Varchar,
        old_column_class=Varchar,
        schema="notify",
    )

    manager.alter_column(
        table_class_name="InboxItem",
        tablename="inbox_item",
        column_name="kind",
        db_column_name="kind",
        params={"length": 80},
        old_params={"length": 40},
        column_class=Varchar,
        old_column_class=Varchar,
        schema="notify",
    )

    manager.alter_column(
        table_class_name="Notification",
        tablename="notification",
        column_name="kind",
        db_column_name="kind",
        params={"length": 80},
        old_params={"length": 40},
        column_class=Varchar,
        old_column_class=Varchar,
        schema="notify",
    )

    manager.alter_column(
        table_class_name="Preference",
        tablename="preference",
        column_name="key",
        db_column_name="key",
        params={"length": 160},
        old_params={"length": 120},
        column_class=Varchar,
        old_column_class=Varchar,
        schema="notify",
    )

    manager.alter_column(
        table_class_name="Preference",
        tablename="preference",
        column_name="kind",
        db_column_name="kind",
        params={"length": 80},
        old_params={"length": 40},
        column_class=Varchar,
        old_column_class=Varchar,
        schema="notify",
    )

    return manager
