"""iiko Cloud API (iikoTransport) POS adapter for Sbor's orders plugin: menus, stop lists, orders, webhooks."""

from __future__ import annotations

from core.manifest import Manifest

manifest = Manifest(
    name="pos_iiko",
    version="0.1.0",
    summary="POS adapter: iiko Cloud API (api-ru.iiko.services)",
    depends={"orders": ">=0.1,<1"},
    core=">=0.1,<1",
)
