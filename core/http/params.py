"""Query parameter types every route shares (one ``limit`` rule for every list)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar.params import QueryParameter

from core.pagination import MAX_LIMIT

_HOW_MANY = f"How many items to return (1 to {MAX_LIMIT})."

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description=_HOW_MANY)]
"""The page size of every list: ``limit: Limit = 20`` (the default is the endpoint's; out of range is 400)."""

LimitField = Annotated[int, msgspec.Meta(ge=1, le=MAX_LIMIT, description=_HOW_MANY)]
"""The same rule as :data:`Limit`, as a field of a query struct (:mod:`core.http.query`): ``limit: LimitField = 20``.

Litestar reads constraints of route parameters from ``QueryParameter`` and ignores msgspec's ``Meta`` there, while a
struct validated by msgspec reads only ``Meta``: one rule, written for each reader.
"""


RowIdFilter = Annotated[int | None, QueryParameter(ge=1, le=2**31 - 1,
                                                   description="Only what belongs to this id (a PostgreSQL integer).")]
"""An optional id filter in the query string (``notification_id: RowIdFilter = None``): out of range is 400."""
