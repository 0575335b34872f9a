"""Tables of the hello plugin (PostgreSQL schema ``hello``); migrations are generated from this file."""

from __future__ import annotations

from piccolo.columns import Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Greeting(Table, schema="hello"):
    """A greeting left on a wall by a signed-in user."""

    id: Serial  # the implicit primary key, declared so mypy sees `row.id` as an int (a new table: `= Serial(...)`)

    name = Varchar(length=80)
    message = Varchar(length=200)
    wall = Varchar(length=40, default="lobby")  # its real-time room is `hello.wall:<wall>`
    created_at = Timestamptz(default=TimestamptzNow())
