"""The conformance kit run against the built-in ``http`` adapter and its stand-in (the kit's own proof)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from plugins.orders.conformance import PosAdapterConformance
from plugins.orders.conformance.reference import ReferencePos
from plugins.orders.http_adapter import HttpAdapter


class TestReferenceConformance(PosAdapterConformance):
    submit_path = r"^/orders/[^/]+$"

    @pytest.fixture
    def adapter(self) -> HttpAdapter:
        return HttpAdapter()

    @pytest.fixture
    def vendor(self) -> Iterator[ReferencePos]:
        server = ReferencePos().start()
        yield server
        server.stop()
