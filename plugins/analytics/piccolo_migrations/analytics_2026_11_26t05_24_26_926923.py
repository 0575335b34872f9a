from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Array
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import SmallInt
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Unique

ID = "2026-11-26T05:24:26:926923"
VERSION = "1.38.0"
DESCRIPTION = "reviews"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="analytics", description=DESCRIPTION
    )

    manager.add_table(
        class_name="EventReviewTag",
        tablename="event_review_tag",
        schema="analytics",
        columns=None,
    )

    manager.add_column(
        table_class_name="EventReviewTag",
        tablename="event_review_tag",
        column_name="event_id",
        db_column_name="event_id",
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
        table_class_name="EventReviewTag",
        tablename="event_review_tag",
        column_name="tag",
        db_column_name="tag",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 32,
            "default": "",
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
        table_class_name="EventReviewTag",
        tablename="event_review_tag",
        column_name="reviews",
        db_column_name="reviews",
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

    manager.add_constraint(
        table_class_name="EventReviewTag",
        tablename="event_review_tag",
        constraint_name="unique_event_review_tag",
        constraint_class=Unique,
        params={"columns": ["event_id", "tag"], "nulls_distinct": True},
        schema="analytics",
    )

    manager.add_column(
        table_class_name="EventDaily",
        tablename="event_daily",
        column_name="rating_sum",
        db_column_name="rating_sum",
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
        table_class_name="EventDaily",
        tablename="event_daily",
        column_name="reviews",
        db_column_name="reviews",
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
        table_class_name="Fact",
        tablename="fact",
        column_name="rating",
        db_column_name="rating",
        column_class_name="SmallInt",
        column_class=SmallInt,
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
        schema="analytics",
    )

    manager.add_column(
        table_class_name="Fact",
        tablename="fact",
        column_name="tags",
        db_column_name="tags",
        column_class_name="Array",
        column_class=Array,
        params={
            "default": list,
            "base_column": Varchar(
                length=32,
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
        schema="analytics",
    )

    return manager
