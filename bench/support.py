"""Benchmark: 200 users and 10 agents chatting on 200 support tickets through two API processes.

``python3 manage.py bench support [users] [seconds]`` (defaults 200 users, 15 s; 10 agents, one ticket per user, each
agent assigned 20). Uses the configured PostgreSQL server (a fresh database, dropped afterwards) and Redis (a private
namespace); ``manage.py bench`` starts the embedded ones when no URL is set. Two real uvicorn processes serve
``core.app:asgi`` with notify and support enabled; every user and agent holds one WebSocket on ``/api/v1/realtime``
(alternating between the processes), users subscribed to their ticket's room ``support.ticket:<id>``, agents to the
rooms of their 20 tickets.

Each ticket runs a closed loop: the user posts ``POST /support/tickets/<id>/messages`` (on their own process), waits
until the agent's WebSocket receives it, then the agent answers with ``POST /support/desk/tickets/<id>/messages`` (on
the agent's process) and waits until the user receives it; again until the time is up. The whole path is measured:
auth, ownership, row lock, insert, status move, notify's outbox row for the agent's answer, publish after commit,
fan-out through Redis to the other process. Each message carries its ticket, side, sequence number and send time, so
the receiver records end-to-end latency (send → receive by the other party), duplicates and what never arrived.
Ends with ``{"bench": "support", "msgs_per_s": …, "p99_ms": …, "lost": …}`` (messages delivered to the other party
per second).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import msgspec
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import free_port, scratch, server, uvicorn_args  # noqa: E402

USERS = int(sys.argv[1]) if len(sys.argv) > 1 else 200
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 15.0
AGENTS = 10
DRAIN_S = 5.0
_frame = msgspec.json.Decoder()


@dataclass
class Run:
    """Messages sent, who got them, latencies, failures."""

    sent: set[tuple[int, str, int]] = field(default_factory=set)
    received: set[tuple[int, str, int]] = field(default_factory=set)
    latencies: list[float] = field(default_factory=list)
    duplicates: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    waiters: dict[tuple[int, str, int], asyncio.Event] = field(default_factory=dict)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    def p(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def cpu_s(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes ``pids`` used so far (Linux ``/proc``)."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


async def reader(ws: ClientConnection, side: str, run: Run) -> None:
    """Count what reaches this party: messages of the *other* side of its tickets."""
    async for raw in ws:
        frame = _frame.decode(raw)
        data = (frame.get("data") or {}) if frame.get("type") == "message" else {}
        if data.get("event") != "message.created":
            continue
        ticket, sender, seq, sent_at = data["message"]["body"].split(":")
        if sender == side:
            continue  # one's own echo
        key = (int(ticket), sender, int(seq))
        if key in run.received:
            run.duplicates += 1
            continue
        run.received.add(key)
        run.latencies.append(time.perf_counter() - float(sent_at))
        waiter = run.waiters.pop(key, None)
        if waiter is not None:
            waiter.set()


async def prepare(n_users: int) -> tuple[list[str], list[str], list[int], list[int]]:
    """Users, agents (a role with ``support.answer``), one ticket per user assigned in turn; their tokens."""
    from core import clock, db, migrations
    from core.auth.services import open_session
    from core.hooks.manager import load
    from core.users import services as users

    registry = load()
    await migrations.migrate(registry)
    await db.start_pool()
    try:
        await db.fetch("INSERT INTO users.account (email, display_name, password_hash, status, is_verified, "
                       "created_at, language, timezone) SELECT 'support' || g || '@bench.test', 'Person ' || g, '', "
                       "'active', true, now(), 'en', 'Europe/Moscow' FROM generate_series(1, $1) g", n_users + AGENTS)
        ids = [r["id"] for r in await db.fetch("SELECT id FROM users.account ORDER BY id")]
        user_ids, agent_ids = ids[:n_users], ids[n_users:]
        await users.create_role("bench_agent", "Support agent", ["admin.access", "support.answer"], None)
        for a in agent_ids:
            await users.grant_role(a, "bench_agent")
        now = clock.now()
        rows = await db.fetch(
            "INSERT INTO support.ticket (requester, category, subject, subject_label, priority, status, assignee, "
            "tags, language, created_at, updated_at, last_message_at, first_response_due, resolution_due, due_at, "
            "csat_comment) SELECT u, 'bug', 'Bench', '', 'normal', 'open', ($2::int[])[1 + (i % $3)], '{}', 'en', "
            "$4::timestamptz, $4::timestamptz, $4::timestamptz, $4::timestamptz + interval '8 hours', "
            "$4::timestamptz + interval '40 hours', $4::timestamptz + interval '8 hours', '' "
            "FROM unnest($1::int[]) WITH ORDINALITY AS x(u, i) ORDER BY i RETURNING id, assignee",
            user_ids, agent_ids, AGENTS, now)
        tickets = [r["id"] for r in rows]
        assignees = [agent_ids.index(r["assignee"]) for r in rows]
        user_tokens = [(await open_session(u, device="bench"))[1] for u in user_ids]
        agent_tokens = [(await open_session(a, device="bench"))[1] for a in agent_ids]
    finally:
        await db.close_pool()
    return user_tokens, agent_tokens, tickets, assignees


async def socket(stack: AsyncExitStack, port: int, token: str, rooms: list[str]) -> ClientConnection:
    """A signed-in WebSocket subscribed to ``rooms``."""
    ws = await stack.enter_async_context(connect(f"ws://127.0.0.1:{port}/api/v1/realtime", open_timeout=10,
                                                 max_queue=None))
    await ws.send(json.dumps({"type": "auth", "token": token}))
    assert _frame.decode(await ws.recv())["type"] == "ready"
    for room in rooms:
        await ws.send(json.dumps({"type": "subscribe", "room": room}))
        frame = _frame.decode(await ws.recv())
        assert frame == {"type": "subscribed", "room": room}, frame
    return ws


async def main() -> None:
    plugins = ('enabled = ["notify", "support"]\n[settings.support]\nmessages_per_minute = 100000000\n'
               '[settings.notify]\nchannels = ["log"]\n')
    run = Run()
    elapsed = server_cpu = client_cpu = 0.0
    stored = 0
    async with scratch(plugins, "support", {"SBOR_HTTP_RATE_LIMIT": "0"}) as s:
        env = s.env
        from core import settings

        settings.reload()
        user_tokens, agent_tokens, tickets, assignees = await prepare(USERS)
        print(f"{USERS} users and {AGENTS} agents on {len(tickets)} tickets over two API processes; closed loops "
              f"(user posts → agent receives → agent answers → user receives) for {SECONDS:.0f} s")
        async with AsyncExitStack() as stack:
            ports = [free_port(), free_port()]
            pids = [stack.enter_context(server([*uvicorn_args("core.app:asgi", port, factory=True), "--ws",
                                                "websockets-sansio"], port, env)).pid for port in ports]
            user_ws = [await socket(stack, ports[i % 2], tok, [f"support.ticket:{tickets[i]}"])
                       for i, tok in enumerate(user_tokens)]
            agent_ws = [await socket(stack, ports[(a + 1) % 2], tok,
                                     [f"support.ticket:{t}" for t, who in zip(tickets, assignees, strict=True)
                                      if who == a]) for a, tok in enumerate(agent_tokens)]
            clients = [await stack.enter_async_context(httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", timeout=30,
                limits=httpx.Limits(max_connections=len(tickets) + AGENTS))) for port in ports]
            readers = [asyncio.create_task(reader(ws, "u", run)) for ws in user_ws]
            readers += [asyncio.create_task(reader(ws, "a", run)) for ws in agent_ws]

            async def loop(i: int, stop_at: float) -> None:
                ticket, agent = tickets[i], assignees[i]
                parties = [("u", clients[i % 2], f"/api/v1/support/tickets/{ticket}/messages",
                            {"Authorization": f"Bearer {user_tokens[i]}"}),
                           ("a", clients[(agent + 1) % 2], f"/api/v1/support/desk/tickets/{ticket}/messages",
                            {"Authorization": f"Bearer {agent_tokens[agent]}"})]
                seq = 0
                while time.perf_counter() < stop_at:
                    for side, client, url, headers in parties:
                        seq += 1
                        key = (ticket, side, seq)
                        arrived = run.waiters[key] = asyncio.Event()
                        r = await client.post(url, json={"body": f"{ticket}:{side}:{seq}:{time.perf_counter():.6f}"},
                                              headers=headers)
                        if r.status_code != 201:
                            run.waiters.pop(key, None)
                            run.error(f"{side}:{r.status_code}")
                            await asyncio.sleep(0.05)
                            continue
                        run.sent.add(key)
                        try:
                            await asyncio.wait_for(arrived.wait(), 10)
                        except TimeoutError:
                            run.error("delivery_timeout")

            cpu0, own0 = cpu_s(pids), time.process_time()
            started = time.perf_counter()
            await asyncio.gather(*(loop(i, started + SECONDS) for i in range(len(tickets))))
            elapsed = time.perf_counter() - started
            server_cpu, client_cpu = cpu_s(pids) - cpu0, time.process_time() - own0
            deadline = time.perf_counter() + DRAIN_S
            while time.perf_counter() < deadline and run.sent - run.received:  # noqa: ASYNC110 - polling counts
                await asyncio.sleep(0.05)
            for task in readers:
                task.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
        conn = await asyncpg.connect(s.db_url)
        stored = await conn.fetchval("SELECT count(*) FROM support.message")
        await conn.close()
    delivered = len(run.received & run.sent)
    lost = len(run.sent - run.received)
    print(f"sent {len(run.sent)} messages in {elapsed:.1f} s, delivered {delivered} to the other party "
          f"({delivered / max(elapsed, 1e-9):.0f}/s); latency p50 {run.p(0.5):.1f} ms, p99 {run.p(0.99):.1f} ms; lost "
          f"{lost}, duplicates {run.duplicates}, errors {run.errors}; messages stored {stored}; server CPU "
          f"{server_cpu * 1000 / max(1, len(run.sent)):.2f} ms per message ({server_cpu / max(elapsed, 1e-9):.2f} "
          f"cores busy), this client {client_cpu / max(elapsed, 1e-9):.2f} cores busy (one process: when near 1, the "
          f"client is the limit); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(json.dumps({"bench": "support", "msgs_per_s": round(delivered / max(elapsed, 1e-9)),
                      "p99_ms": round(run.p(0.99), 1), "lost": lost, "p50_ms": round(run.p(0.5), 1),
                      "duplicates": run.duplicates, "errors": sum(run.errors.values()), "users": USERS,
                      "agents": AGENTS, "tickets": USERS, "seconds": round(elapsed, 1),
                      "server_cpu_ms_per_msg": round(server_cpu * 1000 / max(1, len(run.sent)), 2),
                      "client_cpu_ms_per_msg": round(client_cpu * 1000 / max(1, len(run.sent)), 2)}))


if __name__ == "__main__":
    asyncio.run(main())
