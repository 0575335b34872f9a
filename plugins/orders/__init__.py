"""Orders: café pre-orders at an event's venue, sent to the venue's own POS through adapters, or confirmed by hand."""

from __future__ import annotations

import msgspec

from core.manifest import Manifest, Secret


class OrdersSettings(msgspec.Struct, forbid_unknown_fields=True):
    """Settings of the orders plugin, from ``[settings.orders]`` in plugins.toml."""

    pos_timeout_s: float = 10.0
    """Time budget of one call to a POS (the adapter's HTTP exchange included)."""
    max_attempts: int = 6
    """Attempts to send an order to its POS before it fails (unreachable)."""
    backoff_base_s: float = 2.0
    """First retry delay; doubled each attempt (with jitter), capped by ``backoff_max_s``, or the vendor's hint."""
    backoff_max_s: float = 300.0
    breaker_threshold: int = 5
    """Consecutive failures of one venue's POS that open its circuit (its calls wait, other venues go on)."""
    breaker_cooldown_s: int = 60
    """How long an open circuit waits before one probe call."""
    webhook_max_bytes: int = 262_144
    """Largest incoming webhook body; a larger one is refused (413) before it is parsed."""
    webhook_tolerance_s: int = 300
    """How far a webhook's timestamp may be from our clock (replays older than this are refused)."""
    max_quantity: int = 50
    """Most of one item in one line."""
    max_lines: int = 50
    """Most lines in one order (all members' parts together)."""
    reconcile_after_s: int = 120
    """Orders whose POS outcome is unknown for this long are looked up on the POS by the reconciliation job."""
    credentials_keys: Secret = ""
    """Comma-separated Fernet keys encrypting venues' POS credentials (the first encrypts; all decrypt: rotation).
    Empty: keys derived from core's JWT keys (set real ones in production)."""


manifest = Manifest(
    name="orders",
    version="0.1.0",
    summary="Café pre-orders through the venue's POS (adapters), a live queue for venue staff",
    depends={"events": ">=0.1,<1"},
    core=">=0.1,<1",
    settings=OrdersSettings,
    public_settings=("max_quantity", "max_lines"),
)
