"""The periodic scheduler: enqueues ``core.jobs.Periodic`` jobs on time, in every worker process.

Several schedulers may run (one per worker machine); a Redis claim per job and tick makes each tick run once.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from core import clock
from core.jobs import Periodic

log = logging.getLogger("core.jobs")


def _claim_key(periodic: Periodic, tick: int, namespace: str) -> str:
    return f"{namespace}:sched:{periodic.job.name}:{tick}"


def claim_tick(periodic: Periodic, tick: int, redis_client: Any, namespace: str, now_ts: float) -> bool:
    """Try to claim ``tick`` of ``periodic`` for this process; exactly one claimant across all machines wins.

    The claim lives twice the period, so a scheduler started late in a period cannot claim the same tick again.
    """
    ttl = 2 * periodic.period_s(now_ts) + 60
    return bool(redis_client.set(_claim_key(periodic, tick, namespace), b"1", nx=True, ex=ttl))


class Scheduler(threading.Thread):
    """Enqueue periodic jobs on time. Several schedulers may run (one per worker machine): each tick runs once."""

    def __init__(self, periodics: list[Periodic], redis_client: Any, namespace: str, tick_s: float = 1.0) -> None:
        super().__init__(name="sbor-scheduler", daemon=True)
        self.periodics = periodics
        self.redis = redis_client
        self.namespace = namespace
        self.tick_s = tick_s
        self.stopping = threading.Event()
        self.last: dict[str, int] = {}

    def run_once(self) -> list[str]:
        """Check every periodic job once; return the names enqueued by this scheduler."""
        now_ts = clock.timestamp()
        sent = []
        for p in self.periodics:
            tick = p.tick(now_ts)
            if p.job.name not in self.last:
                # First look after start: the current tick began before we existed (another worker ran it, or
                # nobody was up then); firing now would run a 03:00 job at 15:00. Wait for the next tick.
                self.last[p.job.name] = tick
                continue
            if self.last[p.job.name] == tick:
                continue
            self.last[p.job.name] = tick
            claimed = False
            try:
                claimed = claim_tick(p, tick, self.redis, self.namespace, now_ts)
                if claimed:
                    p.job.send()
                    sent.append(p.job.name)
            except Exception:
                log.exception("scheduler: could not enqueue %s", p.job.name)
                if claimed:  # give the tick back so this or another scheduler retries it
                    try:
                        self.redis.delete(_claim_key(p, tick, self.namespace))
                    except Exception:
                        log.exception("scheduler: could not release the claim of %s", p.job.name)
                self.last[p.job.name] = tick - 1  # retried at the next check
        return sent

    def run(self) -> None:
        while not self.stopping.wait(self.tick_s):
            self.run_once()

    def stop(self) -> None:
        """Ask the thread to finish after the current check."""
        self.stopping.set()
