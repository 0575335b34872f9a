"""Tables of the hello plugin (schema ``hello``)."""

from __future__ import annotations

from piccolo.columns import Timestamptz, Varchar
from piccolo.table import Table


class Greeting(Table, schema="hello"):
    """A greeting left by someone."""

    name = Varchar(length=80)
    message = Varchar(length=200)
    created_at = Timestamptz()
