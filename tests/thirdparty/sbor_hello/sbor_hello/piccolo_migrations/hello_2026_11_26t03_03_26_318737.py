from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-26T03:03:26:318737"
VERSION = "1.38.0"
DESCRIPTION = "wall"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="hello", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Greeting",
        tablename="greeting",
        column_name="wall",
        db_column_name="wall",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 40,
            "default": "lobby",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="hello",
    )

    return manager
