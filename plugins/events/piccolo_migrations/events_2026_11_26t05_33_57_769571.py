from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import DoublePrecision
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-26T05:33:57:769571"
VERSION = "1.38.0"
DESCRIPTION = "venues_located_by_geo"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="events", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Venue",
        tablename="venue",
        column_name="address_key",
        db_column_name="address_key",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 300,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="events",
    )

    manager.add_column(
        table_class_name="Venue",
        tablename="venue",
        column_name="located",
        db_column_name="located",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 16,
            "default": "manual",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="events",
    )

    manager.alter_column(
        table_class_name="Venue",
        tablename="venue",
        column_name="latitude",
        db_column_name="latitude",
        params={"default": None, "null": True, "index": True},
        old_params={"default": 0.0, "null": False, "index": False},
        column_class=DoublePrecision,
        old_column_class=DoublePrecision,
        schema="events",
    )

    manager.alter_column(
        table_class_name="Venue",
        tablename="venue",
        column_name="longitude",
        db_column_name="longitude",
        params={"default": None, "null": True},
        old_params={"default": 0.0, "null": False},
        column_class=DoublePrecision,
        old_column_class=DoublePrecision,
        schema="events",
    )

    return manager
