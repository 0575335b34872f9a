"""The probe's job: a non-idempotent effect (adding to a total) made idempotent by a marker in the same statement.

``jobprobe.run`` records every delivery that started (committed before the work, so a worker killed mid-job leaves
its trace); ``jobprobe.done`` holds one row per key applied; ``jobprobe.total`` sums the amounts. A duplicate delivery
inserts no marker and so adds nothing: the total proves each effect happened once.
"""

from __future__ import annotations

import asyncio

from core import db
from core.jobs import job

SCHEMA = """
CREATE SCHEMA IF NOT EXISTS jobprobe;
CREATE TABLE IF NOT EXISTS jobprobe.run (id bigserial PRIMARY KEY, key text NOT NULL, pid int NOT NULL);
CREATE TABLE IF NOT EXISTS jobprobe.done (key text PRIMARY KEY, amount int NOT NULL);
CREATE TABLE IF NOT EXISTS jobprobe.total (id int PRIMARY KEY, amount bigint NOT NULL, applied int NOT NULL);
INSERT INTO jobprobe.total VALUES (1, 0, 0) ON CONFLICT DO NOTHING;
"""

APPLY = """
WITH marker AS (INSERT INTO jobprobe.done (key, amount) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING amount)
UPDATE jobprobe.total SET amount = total.amount + marker.amount, applied = applied + 1 FROM marker WHERE id = 1
"""


@job("jobprobe.apply", max_retries=20, min_backoff=200, max_backoff=2000)
async def apply(key: str, amount: int, hold_ms: int = 0) -> None:
    """Record the delivery, hold a while (a job in the middle of its work), then apply the amount once per key."""
    import os

    await db.fetch("INSERT INTO jobprobe.run (key, pid) VALUES ($1, $2)", key, os.getpid())
    if hold_ms:
        await asyncio.sleep(hold_ms / 1000)
    await db.fetch(APPLY, key, amount)
