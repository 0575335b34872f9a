"""Benchmark: 1 000 café orders submitted at once to a POS that answers in 200 ms and times out on 5 % after committing.

``python3 manage.py bench orders [n]``. Uses the configured PostgreSQL server (a fresh database, dropped afterwards)
and Redis (a private namespace), one API process (uvicorn) and one ``manage.py worker`` process, and a stand-in of a
venue's system speaking the Sbor POS protocol (the built-in ``http`` adapter) in this process: every answer takes
``BENCH_POS_LATENCY_MS`` (200), and 5 % of new orders are committed and then held past the adapter's time budget.

Figures: ``orders_per_s`` (submissions answered per second, all sent at once over 100 connections),
``submit_p99_ms`` (the API's answer to one submission, timed from when a connection is free to send it, so the
client's own queue of the other 900 is not counted; it must not wait for the POS), then, once the worker has sent
them and the reconciliation job has run, ``pos_orders`` (distinct orders on the POS side: exactly n),
``duplicates`` (orders the POS stored twice: 0), ``lost`` (orders answered 202 that the POS does not have: 0).
Ends with one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ROOT, free_port, scratch, uvicorn_args, wait_http
from plugins.orders.conformance.reference import ReferencePos
from plugins.orders.conformance.standin import Reply, Request

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
LATENCY_S = float(os.environ.get("BENCH_POS_LATENCY_MS", "200")) / 1000
TIMEOUT_SHARE = 0.05
POS_TIMEOUT_S = 1.0
USERS = 50
CONNECTIONS = 100
DRAIN_S = float(os.environ.get("BENCH_DRAIN_S", "600"))  # how long the worker may take (a loaded machine is slow)


class SlowPos(ReferencePos):
    """The reference POS answering after LATENCY_S; 5 % of new orders committed and then held past the timeout."""

    def __init__(self) -> None:
        super().__init__()
        self.latency_s = LATENCY_S
        self.timed_out: set[str] = set()
        self._rng = random.Random(42)

    def _put(self, req: Request) -> Reply:
        oid = req.params["oid"]
        with self.lock:
            new = oid not in self.orders
            hang = new and self._rng.random() < TIMEOUT_SHARE
        reply = super()._put(req)
        if hang:
            with self.lock:
                self.timed_out.add(oid)
            time.sleep(POS_TIMEOUT_S + 1.5)  # committed; the adapter gives up first
        return reply


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


async def main() -> None:
    plugins = ('enabled = ["events", "orders"]\n[settings.orders]\n'
               f"pos_timeout_s = {POS_TIMEOUT_S}\nbackoff_base_s = 1.0\nmax_attempts = 8\n"
               "breaker_threshold = 200\nreconcile_after_s = 5\n")
    async with scratch(plugins, "orders", {"SBOR_HTTP_RATE_LIMIT": "0"}) as s:
        tmp = s.folder
        pos = SlowPos().start()
        api_proc = worker = None
        try:
            from core import db, migrations, settings
            from core.auth.services import open_session
            from core.hooks.manager import load

            settings.reload()
            db.reset_engine()
            registry = load()
            await migrations.migrate(registry)
            await db.start_pool()
            from core import jobs

            jobs.configure_broker(s.redis_url, s.namespace)
            from core.hooks import hookspecs as core_specs

            jobs.bind(registry.hooks.collect(core_specs.register_actors))

            # Set-up (not measured): people, a venue on the stand-in POS, its menu, n draft orders.
            from core.users.tables import User
            from plugins.events import services as events
            from plugins.orders import config, menu, services
            from plugins.orders.schemas import LineIn, OrderCreate, PosConfigWrite

            users = []
            for i in range(USERS):
                row = User(email=f"bench{i}@bench.test", display_name=f"Guest {i}", is_verified=True,
                           referral_code=f"bench{i:04d}")
                await row.save()
                users.append(row.id)
            tokens = {u: (await open_session(u, device="bench"))[1] for u in users}
            venue = await events.create_venue(events.Actor(users[0]), {
                "name": "Bench Café", "city": "Moscow", "latitude": 55.75, "longitude": 37.61,
                "timezone": "Europe/Moscow"})
            pos.set_menu([{"id": f"dish-{k}", "name": f"Dish {k}", "price_minor": 10000 + k * 500, "category": "Menu"}
                          for k in range(1, 11)])
            await config.write(users[0], venue["id"], PosConfigWrite(
                adapter="http", settings={"base_url": pos.base_url}, secret=pos.secrets()[0],
                webhook_secret=pos.secrets()[1]))
            await menu.sync(venue["id"])
            items = [i.id for i in (await menu.menu(venue["id"])).items]
            orders: list[tuple[int, str]] = []
            for k in range(N):
                who = users[k % USERS]
                oid = await services.create(who, OrderCreate(venue_id=venue["id"], items=[
                    LineIn(item_id=items[k % len(items)], quantity=1 + k % 3)]))
                orders.append((who, str(oid)))
            print(f"set up {N} draft orders of {USERS} people at one venue; the POS answers in "
                  f"{LATENCY_S * 1000:.0f} ms and holds {TIMEOUT_SHARE:.0%} of new orders past the "
                  f"{POS_TIMEOUT_S:.0f} s budget after committing")

            port = free_port()
            api_log, worker_log = (tmp / "api.log").open("wb"), (tmp / "worker.log").open("wb")
            api_proc = subprocess.Popen([sys.executable, *uvicorn_args("core.app:asgi", port, factory=True)], cwd=ROOT,  # noqa: ASYNC220
                                        env={**os.environ}, stdout=subprocess.DEVNULL, stderr=api_log)
            await asyncio.to_thread(wait_http, f"http://127.0.0.1:{port}/health")
            worker = subprocess.Popen([sys.executable, "-m", "core.cli", "worker", "--processes", "1",  # noqa: ASYNC220
                                       "--threads", "16"], cwd=ROOT, env={**os.environ},
                                      stdout=subprocess.DEVNULL, stderr=worker_log)

            # 1. Every submission at once (100 connections): the answer must not wait for the POS.
            latencies: list[float] = []
            accepted: list[str] = []
            retried: list[str] = []
            limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
            in_flight = asyncio.Semaphore(CONNECTIONS)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60) as http:

                async def submit(who: int, oid: str) -> None:
                    headers = {"Authorization": f"Bearer {tokens[who]}", "Idempotency-Key": uuid.uuid4().hex}
                    async with in_flight:  # one per connection: the clock starts when the request can be sent
                        t = time.perf_counter()
                        for attempt in range(3):  # a connection closed under us: retry with the same key
                            try:
                                r = await http.post(f"/api/v1/orders/{oid}/submit", headers=headers)
                                break
                            except httpx.TransportError:
                                if attempt == 2:
                                    raise
                                retried.append(oid)
                        latencies.append((time.perf_counter() - t) * 1000)
                    if r.status_code == 202:
                        accepted.append(oid)
                    else:
                        print(f"submit {oid}: {r.status_code} {r.text[:200]}")

                t0 = time.perf_counter()
                results = await asyncio.gather(*(submit(who, oid) for who, oid in orders), return_exceptions=True)
                for failure in [r for r in results if isinstance(r, BaseException)][:3]:
                    print(f"submission failed: {failure!r}; API log: {tmp / 'api.log'}")
                wall = time.perf_counter() - t0
            orders_per_s = len(accepted) / wall
            p50, p99 = statistics.median(latencies), percentile(latencies, 99)
            print(f"{len(accepted)} of {N} submissions accepted in {wall:.2f} s: {orders_per_s:.0f} orders/s; "
                  f"submit p50 {p50:.0f} ms, p99 {p99:.0f} ms (the POS answers in {LATENCY_S * 1000:.0f} ms); "
                  f"{len(retried)} retried by the client after a dropped connection (same Idempotency-Key)")

            # 2. The worker sends them (retrying the timed-out ones); then reconciliation, until nothing is waiting.
            from plugins.orders import flow
            from plugins.orders import jobs as orders_jobs

            async def drained(budget_s: float) -> bool:
                """Wait until no submitted order waits for the POS (True), or the budget is spent (False)."""
                deadline = time.monotonic() + budget_s
                while time.monotonic() < deadline:
                    waiting = (await db.fetch("SELECT count(*) AS n FROM orders.pre_order WHERE status = 'submitted' "
                                              "AND pos_state <> 'sent'"))[0]["n"]
                    if waiting == 0:
                        return True
                    await asyncio.sleep(0.5)
                return False

            t1 = time.perf_counter()
            done = await drained(DRAIN_S)
            sent_s = time.perf_counter() - t1
            states = {r["pos_state"]: r["n"] for r in await db.fetch(
                "SELECT pos_state, count(*) AS n FROM orders.pre_order GROUP BY pos_state")}
            print(f"the worker put them on the POS in {sent_s:.1f} s after the last answer"
                  f"{'' if done else ' (not all: budget spent)'}; pos_state: {states}; "
                  f"{len(pos.timed_out)} timed out after committing (retried by the same UUID)")
            counts = await flow.reconcile(orders_jobs.enqueue_send, limit=N * 2)
            print(f"reconciliation: {counts}")
            if counts["resent"]:  # what it queued again must reach the POS before the figures are taken
                await drained(DRAIN_S)
                print(f"reconciliation again: {await flow.reconcile(orders_jobs.enqueue_send, limit=N * 2)}")
            created = pos.created()
            pos_orders = len(set(created))
            duplicates = len(created) - pos_orders
            lost = len(set(accepted) - set(created))
            print(f"POS side: {pos_orders} orders, {duplicates} duplicates, {lost} lost")
            await db.close_pool()
        finally:
            for proc in (worker, api_proc):
                if proc is not None:
                    proc.send_signal(signal.SIGTERM)
                    try:
                        proc.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        proc.kill()
            pos.stop()
    print(json.dumps({"bench": "orders", "orders_per_s": round(orders_per_s), "submit_p99_ms": round(p99),
                      "pos_orders": pos_orders, "duplicates": duplicates, "lost": lost,
                      "submit_p50_ms": round(p50), "timed_out_after_commit": len(pos.timed_out),
                      "sent_within_s": round(sent_s, 1), "pos_latency_ms": round(LATENCY_S * 1000)}))


if __name__ == "__main__":
    asyncio.run(main())
