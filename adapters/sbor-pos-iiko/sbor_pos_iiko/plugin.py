"""Hook implementations of pos_iiko: the adapter for orders."""

from __future__ import annotations

from core.hooks import hookimpl
from plugins.orders.hookspecs import PosAdapter


@hookimpl
def register_pos_adapters() -> list[PosAdapter]:
    """The ``iiko`` adapter (contract pos >=1,<2)."""
    from sbor_pos_iiko.adapter import IikoAdapter

    return [IikoAdapter()]
