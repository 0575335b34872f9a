"""Background jobs of the hello plugin."""

from __future__ import annotations

import logging
from datetime import timedelta

from core import clock
from core.hooks import plugin_settings
from core.jobs import job

from sbor_hello import HelloSettings
from sbor_hello.tables import Greeting

log = logging.getLogger("plugins.hello")


@job("hello.forget_old_greetings", max_retries=3)
async def forget_old_greetings() -> int:
    """Delete greetings older than the configured retention (idempotent: running twice deletes nothing more)."""
    days = plugin_settings(HelloSettings).retention_days
    cutoff = clock.now() - timedelta(days=days)
    deleted = await Greeting.delete().where(Greeting.created_at < cutoff).returning(Greeting.id)
    log.info("forgot %d greeting(s) older than %d days", len(deleted), days)
    return len(deleted)
