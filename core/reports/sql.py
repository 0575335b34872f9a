"""Raw SQL of reports: the lock that keeps one open case per target."""

from __future__ import annotations

LOCK_TARGET = "SELECT pg_advisory_xact_lock(hashtext({}))"
"""Serialise the reports of one target (``'<type>:<id>'``) until the transaction ends (Piccolo ``raw``)."""
