"""Query parameter types every route shares (one ``limit`` for every list)."""

from __future__ import annotations

from typing import Annotated

from litestar.params import QueryParameter

from core.pagination import MAX_LIMIT

Limit = Annotated[
    int, QueryParameter(ge=1, le=MAX_LIMIT, description=f"How many items to return (1 to {MAX_LIMIT}).")
]
"""The page size of every list: ``limit: Limit = 20`` (the default is the endpoint's; out of range is 400)."""
