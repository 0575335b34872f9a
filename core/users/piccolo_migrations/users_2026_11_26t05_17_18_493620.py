from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Array
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-26T05:17:18:493620"
VERSION = "1.38.0"
DESCRIPTION = "birth_year_and_languages"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="users", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="User",
        tablename="account",
        column_name="birth_year",
        db_column_name="birth_year",
        column_class_name="Integer",
        column_class=Integer,
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
        schema="users",
    )

    manager.add_column(
        table_class_name="User",
        tablename="account",
        column_name="languages",
        db_column_name="languages",
        column_class_name="Array",
        column_class=Array,
        params={
            "default": list,
            "base_column": Varchar(
                length=16,
                default="",
                null=False,
                primary_key=False,
                unique=False,
                index=False,
                index_method=IndexMethod.btree,
                choices=None,
                db_column_name=None,
                secret=False,
            ),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="users",
    )

    return manager
