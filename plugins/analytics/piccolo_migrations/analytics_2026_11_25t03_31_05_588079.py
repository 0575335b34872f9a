from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.column_types import BigInt
from piccolo.columns.column_types import BigSerial
from piccolo.columns.column_types import Date
from piccolo.columns.column_types import DoublePrecision
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import JSONB
from piccolo.columns.column_types import Serial
from piccolo.columns.column_types import Text
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import UUID
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.date import DateNow
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Unique
from piccolo.table import Table


class Experiment(Table, tablename="experiment", schema="analytics"):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
    )


ID = "2026-11-25T03:31:05:588079"
VERSION = "1.38.0"
DESCRIPTION = "initial"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="analytics", description=DESCRIPTION
    )

    manager.add_table(
        class_name="ActiveActor",
        tablename="active_actor",
        schema="analytics",
        columns=None,
    )

    manager.add_table(
        class_name="Idea", tablename="idea", schema="analytics", columns=None
    )

    manager.add_table(
        class_name="Fact", tablename="fact", schema="analytics", columns=None
    )

    manager.add_table(
        class_name="EventViewer",
        tablename="event_viewer",
        schema="analytics",
        columns=None,
    )

    manager.add_table(
        class_name="EventDaily",
        tablename="event_daily",
        schema="analytics",
        columns=None,
    )

    manager.add_table(
        class_name="Experiment",
        tablename="experiment",
        schema="analytics",
        columns=None,
    )

    manager.add_table(
        class_name="PlatformDaily",
        tablename="platform_daily",
        schema="analytics",
        columns=None,
    )

    manager.add_table(
        class_name="EventViewerDay",
        tablename="event_viewer_day",
        schema="analytics",
        columns=None,
    )

    manager.add_table(
        class_name="Exposure",
        tablename="exposure",
        schema="analytics",
        columns=None,
    )

    manager.add_table(
        class_name="EventTotal",
        tablename="event_total",
        schema="analytics",
        columns=None,
    )

    manager.add_table(
        class_name="ClientEvent",
        tablename="client_event",
        schema="analytics",
        columns=None,
    )

    manager.add_table(
        class_name="RollupWatermark",
        tablename="rollup_watermark",
        schema="analytics",
        columns=None,
    )

    manager.add_column(
        table_class_name="ActiveActor",
        tablename="active_actor",
        column_name="day",
        db_column_name="day",
        column_class_name="Date",
        column_class=Date,
        params={
            "default": DateNow(),
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
        table_class_name="ActiveActor",
        tablename="active_actor",
        column_name="actor",
        db_column_name="actor",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 140,
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
        table_class_name="Idea",
        tablename="idea",
        column_name="id",
        db_column_name="id",
        column_class_name="Serial",
        column_class=Serial,
        params={
            "null": False,
            "primary_key": True,
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
        table_class_name="Idea",
        tablename="idea",
        column_name="title",
        db_column_name="title",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 200,
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
        table_class_name="Idea",
        tablename="idea",
        column_name="description",
        db_column_name="description",
        column_class_name="Text",
        column_class=Text,
        params={
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
        table_class_name="Idea",
        tablename="idea",
        column_name="reach",
        db_column_name="reach",
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
        table_class_name="Idea",
        tablename="idea",
        column_name="impact",
        db_column_name="impact",
        column_class_name="DoublePrecision",
        column_class=DoublePrecision,
        params={
            "default": 1.0,
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
        table_class_name="Idea",
        tablename="idea",
        column_name="confidence",
        db_column_name="confidence",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 100,
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
        table_class_name="Idea",
        tablename="idea",
        column_name="effort",
        db_column_name="effort",
        column_class_name="DoublePrecision",
        column_class=DoublePrecision,
        params={
            "default": 1.0,
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
        table_class_name="Idea",
        tablename="idea",
        column_name="score",
        db_column_name="score",
        column_class_name="DoublePrecision",
        column_class=DoublePrecision,
        params={
            "default": 0.0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="analytics",
    )

    manager.add_column(
        table_class_name="Idea",
        tablename="idea",
        column_name="status",
        db_column_name="status",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 16,
            "default": "open",
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
        table_class_name="Idea",
        tablename="idea",
        column_name="created_by",
        db_column_name="created_by",
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
        table_class_name="Idea",
        tablename="idea",
        column_name="updated_by",
        db_column_name="updated_by",
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
        table_class_name="Idea",
        tablename="idea",
        column_name="created_at",
        db_column_name="created_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
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
        table_class_name="Idea",
        tablename="idea",
        column_name="updated_at",
        db_column_name="updated_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
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
        column_name="id",
        db_column_name="id",
        column_class_name="BigSerial",
        column_class=BigSerial,
        params={
            "null": False,
            "primary_key": True,
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
        column_name="kind",
        db_column_name="kind",
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
        table_class_name="Fact",
        tablename="fact",
        column_name="event_id",
        db_column_name="event_id",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
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
        column_name="author_id",
        db_column_name="author_id",
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
        column_name="user_id",
        db_column_name="user_id",
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
        schema="analytics",
    )

    manager.add_column(
        table_class_name="Fact",
        tablename="fact",
        column_name="occurred_at",
        db_column_name="occurred_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
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
        column_name="duration_s",
        db_column_name="duration_s",
        column_class_name="DoublePrecision",
        column_class=DoublePrecision,
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
        column_name="txid",
        db_column_name="txid",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="analytics",
    )

    manager.add_column(
        table_class_name="EventViewer",
        tablename="event_viewer",
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
        table_class_name="EventViewer",
        tablename="event_viewer",
        column_name="viewer",
        db_column_name="viewer",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 140,
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
        table_class_name="EventDaily",
        tablename="event_daily",
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
        table_class_name="EventDaily",
        tablename="event_daily",
        column_name="day",
        db_column_name="day",
        column_class_name="Date",
        column_class=Date,
        params={
            "default": DateNow(),
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
        column_name="views",
        db_column_name="views",
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
        column_name="unique_viewers",
        db_column_name="unique_viewers",
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
        column_name="joins",
        db_column_name="joins",
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
        column_name="leaves",
        db_column_name="leaves",
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
        column_name="waitlisted",
        db_column_name="waitlisted",
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
        table_class_name="Experiment",
        tablename="experiment",
        column_name="id",
        db_column_name="id",
        column_class_name="Serial",
        column_class=Serial,
        params={
            "null": False,
            "primary_key": True,
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
        table_class_name="Experiment",
        tablename="experiment",
        column_name="key",
        db_column_name="key",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": True,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="analytics",
    )

    manager.add_column(
        table_class_name="Experiment",
        tablename="experiment",
        column_name="name",
        db_column_name="name",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 200,
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
        table_class_name="Experiment",
        tablename="experiment",
        column_name="description",
        db_column_name="description",
        column_class_name="Text",
        column_class=Text,
        params={
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
        table_class_name="Experiment",
        tablename="experiment",
        column_name="status",
        db_column_name="status",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 16,
            "default": "draft",
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
        table_class_name="Experiment",
        tablename="experiment",
        column_name="variants",
        db_column_name="variants",
        column_class_name="JSONB",
        column_class=JSONB,
        params={
            "default": "[]",
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
        table_class_name="Experiment",
        tablename="experiment",
        column_name="goal",
        db_column_name="goal",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
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
        table_class_name="Experiment",
        tablename="experiment",
        column_name="created_by",
        db_column_name="created_by",
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
        table_class_name="Experiment",
        tablename="experiment",
        column_name="created_at",
        db_column_name="created_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
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
        table_class_name="Experiment",
        tablename="experiment",
        column_name="started_at",
        db_column_name="started_at",
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
        schema="analytics",
    )

    manager.add_column(
        table_class_name="Experiment",
        tablename="experiment",
        column_name="stopped_at",
        db_column_name="stopped_at",
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
        schema="analytics",
    )

    manager.add_column(
        table_class_name="PlatformDaily",
        tablename="platform_daily",
        column_name="day",
        db_column_name="day",
        column_class_name="Date",
        column_class=Date,
        params={
            "default": DateNow(),
            "null": False,
            "primary_key": False,
            "unique": True,
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
        column_name="active_users",
        db_column_name="active_users",
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
        column_name="client_events",
        db_column_name="client_events",
        column_class_name="BigInt",
        column_class=BigInt,
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
        column_name="events_submitted",
        db_column_name="events_submitted",
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
        column_name="events_published",
        db_column_name="events_published",
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
        column_name="joins",
        db_column_name="joins",
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
        column_name="leaves",
        db_column_name="leaves",
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
        column_name="moderation_decisions",
        db_column_name="moderation_decisions",
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
        column_name="moderation_seconds",
        db_column_name="moderation_seconds",
        column_class_name="DoublePrecision",
        column_class=DoublePrecision,
        params={
            "default": 0.0,
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
        table_class_name="EventViewerDay",
        tablename="event_viewer_day",
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
        table_class_name="EventViewerDay",
        tablename="event_viewer_day",
        column_name="day",
        db_column_name="day",
        column_class_name="Date",
        column_class=Date,
        params={
            "default": DateNow(),
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
        table_class_name="EventViewerDay",
        tablename="event_viewer_day",
        column_name="viewer",
        db_column_name="viewer",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 140,
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
        table_class_name="Exposure",
        tablename="exposure",
        column_name="id",
        db_column_name="id",
        column_class_name="Serial",
        column_class=Serial,
        params={
            "null": False,
            "primary_key": True,
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
        table_class_name="Exposure",
        tablename="exposure",
        column_name="experiment",
        db_column_name="experiment",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Experiment,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
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
        table_class_name="Exposure",
        tablename="exposure",
        column_name="subject",
        db_column_name="subject",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 140,
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
        table_class_name="Exposure",
        tablename="exposure",
        column_name="variant",
        db_column_name="variant",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
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
        table_class_name="Exposure",
        tablename="exposure",
        column_name="exposed_at",
        db_column_name="exposed_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
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
        table_class_name="Exposure",
        tablename="exposure",
        column_name="converted_at",
        db_column_name="converted_at",
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
        schema="analytics",
    )

    manager.add_column(
        table_class_name="EventTotal",
        tablename="event_total",
        column_name="event_id",
        db_column_name="event_id",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": True,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="analytics",
    )

    manager.add_column(
        table_class_name="EventTotal",
        tablename="event_total",
        column_name="unique_viewers",
        db_column_name="unique_viewers",
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
        table_class_name="ClientEvent",
        tablename="client_event",
        column_name="id",
        db_column_name="id",
        column_class_name="BigSerial",
        column_class=BigSerial,
        params={
            "null": False,
            "primary_key": True,
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
        table_class_name="ClientEvent",
        tablename="client_event",
        column_name="client_event_id",
        db_column_name="client_event_id",
        column_class_name="UUID",
        column_class=UUID,
        params={
            "default": UUID4(),
            "null": False,
            "primary_key": False,
            "unique": True,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="analytics",
    )

    manager.add_column(
        table_class_name="ClientEvent",
        tablename="client_event",
        column_name="name",
        db_column_name="name",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
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
        table_class_name="ClientEvent",
        tablename="client_event",
        column_name="occurred_at",
        db_column_name="occurred_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
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
        table_class_name="ClientEvent",
        tablename="client_event",
        column_name="received_at",
        db_column_name="received_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
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
        table_class_name="ClientEvent",
        tablename="client_event",
        column_name="user_id",
        db_column_name="user_id",
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
        schema="analytics",
    )

    manager.add_column(
        table_class_name="ClientEvent",
        tablename="client_event",
        column_name="device_id",
        db_column_name="device_id",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 128,
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
        table_class_name="ClientEvent",
        tablename="client_event",
        column_name="event_id",
        db_column_name="event_id",
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
        schema="analytics",
    )

    manager.add_column(
        table_class_name="ClientEvent",
        tablename="client_event",
        column_name="props",
        db_column_name="props",
        column_class_name="JSONB",
        column_class=JSONB,
        params={
            "default": "{}",
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
        table_class_name="ClientEvent",
        tablename="client_event",
        column_name="txid",
        db_column_name="txid",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="analytics",
    )

    manager.add_column(
        table_class_name="RollupWatermark",
        tablename="rollup_watermark",
        column_name="name",
        db_column_name="name",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": True,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="analytics",
    )

    manager.add_column(
        table_class_name="RollupWatermark",
        tablename="rollup_watermark",
        column_name="position",
        db_column_name="position",
        column_class_name="BigInt",
        column_class=BigInt,
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
        table_class_name="RollupWatermark",
        tablename="rollup_watermark",
        column_name="snapshot",
        db_column_name="snapshot",
        column_class_name="Text",
        column_class=Text,
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
        table_class_name="RollupWatermark",
        tablename="rollup_watermark",
        column_name="updated_at",
        db_column_name="updated_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
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
        table_class_name="ActiveActor",
        tablename="active_actor",
        constraint_name="unique_day_actor",
        constraint_class=Unique,
        params={"columns": ["day", "actor"], "nulls_distinct": True},
        schema="analytics",
    )

    manager.add_constraint(
        table_class_name="EventViewer",
        tablename="event_viewer",
        constraint_name="unique_event_viewer",
        constraint_class=Unique,
        params={"columns": ["event_id", "viewer"], "nulls_distinct": True},
        schema="analytics",
    )

    manager.add_constraint(
        table_class_name="EventDaily",
        tablename="event_daily",
        constraint_name="unique_event_day",
        constraint_class=Unique,
        params={"columns": ["event_id", "day"], "nulls_distinct": True},
        schema="analytics",
    )

    manager.add_constraint(
        table_class_name="EventViewerDay",
        tablename="event_viewer_day",
        constraint_name="unique_event_viewer_day",
        constraint_class=Unique,
        params={"columns": ["event_id", "day", "viewer"], "nulls_distinct": True},
        schema="analytics",
    )

    manager.add_constraint(
        table_class_name="Exposure",
        tablename="exposure",
        constraint_name="unique_experiment_subject",
        constraint_class=Unique,
        params={"columns": ["experiment", "subject"], "nulls_distinct": True},
        schema="analytics",
    )

    return manager
