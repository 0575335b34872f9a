"""Fixtures of the reports tests: the events fixtures (events are the reportable type most tests use)."""

from __future__ import annotations

from plugins.events.testing import events_venue, make_published_event, published_event  # noqa: F401
