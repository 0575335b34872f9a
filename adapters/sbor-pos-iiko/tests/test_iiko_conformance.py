"""The orders conformance kit against the iiko adapter and the iiko stand-in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from plugins.orders.conformance import PosAdapterConformance

from sbor_pos_iiko.adapter import IikoAdapter
from sbor_pos_iiko.client import forget_tokens
from sbor_pos_iiko.testing import IikoStandIn


class TestIikoConformance(PosAdapterConformance):
    submit_path = r"^/api/1/deliveries/create$"

    @pytest.fixture
    def adapter(self) -> IikoAdapter:
        return IikoAdapter()

    @pytest.fixture
    def vendor(self) -> Iterator[IikoStandIn]:
        forget_tokens()
        server = IikoStandIn().start()
        yield server
        server.stop()
