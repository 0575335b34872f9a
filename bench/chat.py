"""Benchmark: one group room, N clients over two API processes, each sending on its WebSocket; beside a bare echo.

``python3 manage.py bench chat [clients] [seconds] [--http]`` (default 20 clients; ``BENCH_ROUNDS``, default 2,
alternating rounds of 8 s per system). Uses the configured PostgreSQL server (a fresh database, dropped afterwards)
and Redis (a private namespace); ``manage.py bench`` starts the embedded ones when no URL is set. Both systems run as
two real uvicorn processes on loopback, on the same Redis:

* **Sbor**: ``core.app:asgi`` with events and groups; N members of one group, each with a WebSocket on
  ``/api/v1/realtime`` subscribed to ``groups.chat:<group>`` (half the clients on each process), each sending
  ``{"type": "send", "room": ..., "id": ..., "data": {"body": ...}}`` on it: the whole path (membership, rate limit
  per user and room, insert, publish after commit, the ``sent`` answer, fan-out through Redis to both processes);
* **baseline** (``bench/_chat_baseline.py``): a bare Litestar app with the same ``ChannelsPlugin`` on Redis pub/sub,
  a WebSocket that subscribes to one channel, forwards it, and publishes each ``{"body": ...}`` its client sends.

With ``--http`` both systems also run rounds where clients post over HTTP instead (Sbor:
``POST /api/v1/groups/<group>/chat/messages`` on the client's own process, with auth, middleware and idempotency;
baseline: ``POST /send``), reported as extra figures (``http_*`` keys).

Every client runs a closed loop: send a message, wait until it comes back on its own WebSocket, send the next. Each
message carries its run, sender, sequence number and send time, so every receiver records end-to-end latency (send →
receive on every other client), duplicates and, at the end, what never arrived. Ends with one JSON line
``{"bench": "chat", "msgs_per_s": …, "baseline_msgs_per_s": …, "ratio": …, "p99_ms": …, "lost": …, "duplicates": …}``
where ``msgs_per_s`` counts deliveries to the other clients per second (a message to a room of N is N - 1 deliveries).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import free_port, scratch, server, uvicorn_args  # noqa: E402

HTTP = "--http" in sys.argv[1:]
_ARGS = [a for a in sys.argv[1:] if a != "--http"]
CLIENTS = int(_ARGS[0]) if _ARGS else 20
SECONDS = float(_ARGS[1]) if len(_ARGS) > 1 else 8.0
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
DRAIN_S = 5.0


@dataclass
class Run:
    """What one system did: messages sent, deliveries seen by each client, latencies, failures."""

    name: str
    n: int
    sent: list[tuple[int, int]] = field(default_factory=list)
    seen: list[set[tuple[int, int]]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    duplicates: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    started: float = 0.0
    last_delivery: float = 0.0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0  # this process (the clients)
    machine_cpu_s: float = 0.0  # every process on the machine: servers, clients, PostgreSQL, Redis, and any other load
    stores_cpu_s: float = 0.0  # PostgreSQL and Redis processes (shared with anything else using them meanwhile)
    rounds: list[tuple[int, float]] = field(default_factory=list)  # (deliveries, seconds) of each round
    next_seq: list[int] = field(default_factory=list)

    def deliveries(self) -> int:
        return sum(len(s) for s in self.seen) - len(self.sent)  # own echoes are not deliveries

    def lost(self) -> int:
        sent = set(self.sent)
        return sum(len(sent - s) for s in self.seen)

    def p99_ms(self) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000

    def per_s(self) -> float:
        """Deliveries to other clients per second, over every round."""
        return sum(d for d, _ in self.rounds) / max(1e-9, sum(t for _, t in self.rounds))

    def cpu_ms_per_delivery(self) -> float:
        return self.server_cpu_s * 1000 / max(1, self.deliveries())


def machine_cpu_s() -> float:
    """CPU seconds the whole machine spent busy so far (``/proc/stat``: all but idle and iowait)."""
    with open("/proc/stat") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def stores_cpu() -> dict[int, int]:
    """CPU clock ticks used so far by each PostgreSQL and Redis process on the machine (Linux ``/proc``)."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as fh:
                head, _, rest = fh.read().rpartition(")")
        except OSError:  # ended meanwhile
            continue
        if head.partition("(")[2] in ("postgres", "redis-server"):
            fields = rest.split()
            found[int(entry.name)] = int(fields[11]) + int(fields[12])
    return found


def stores_cpu_s(before: dict[int, int]) -> float:
    """CPU seconds those of ``before`` still running used since (the servers' pooled connections are among them)."""
    after = stores_cpu()
    return sum(after[pid] - ticks for pid, ticks in before.items() if pid in after) / os.sysconf("SC_CLK_TCK")


def cpu_s(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes ``pids`` used so far (Linux ``/proc``)."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


_frame = msgspec.json.Decoder()


def _encode(frame: dict[str, Any]) -> str:
    return msgspec.json.encode(frame).decode()


Send = Callable[[int, int, str], Awaitable[int]]
"""How client ``i`` sends message ``seq`` with this body: the HTTP status, or 0 when the answer comes on the socket."""


@dataclass
class System:
    """One system under test: its two server processes, one WebSocket per client, and the ways a client sends."""

    name: str
    sockets: list[ClientConnection]
    sends: dict[str, Send]  # "ws" (on the client's WebSocket), "http"
    body_of: Callable[[dict[str, Any]], str | None]
    pids: list[int]


async def drive(system: System, run: Run, send: Send, seconds: float) -> None:
    """One round of closed loops: every client sends, waits for its own echo, sends again, until the time is up.

    A send refused on the socket (an ``error`` frame with the send's ``id``) is counted in ``errors`` by its code.
    """
    sockets = system.sockets
    n = len(sockets)
    if not run.seen:
        run.seen = [set() for _ in range(n)]
        run.next_seq = [0] * n
    echoes: list[asyncio.Event] = [asyncio.Event() for _ in range(n)]
    expecting: list[int] = [-1] * n
    refused: list[bool] = [False] * n
    before = run.deliveries()
    last = [0.0]
    tag = run.name

    async def reader(i: int) -> None:
        async for raw in sockets[i]:
            frame = _frame.decode(raw)
            kind = frame.get("type")
            if kind == "error" and frame.get("id") == str(expecting[i]):
                run.errors[frame["code"]] = run.errors.get(frame["code"], 0) + 1
                refused[i] = True
                echoes[i].set()
                continue
            body = system.body_of(frame) if kind == "message" else None
            if body is None:
                continue
            now = time.perf_counter()
            run_tag, sender, seq, sent_at = body.split(":")
            if run_tag != tag:
                continue
            key = (int(sender), int(seq))
            if key in run.seen[i]:
                run.duplicates += 1
                continue
            run.seen[i].add(key)
            if key[0] == i:
                if key[1] == expecting[i]:
                    echoes[i].set()
            else:
                run.latencies.append(now - float(sent_at))
                last[0] = now

    async def sender(i: int, stop_at: float) -> None:
        while time.perf_counter() < stop_at:
            seq = run.next_seq[i]
            expecting[i] = seq
            echoes[i].clear()
            refused[i] = False
            status = await send(i, seq, f"{tag}:{i}:{seq}:{time.perf_counter():.6f}")
            run.next_seq[i] += 1
            if status not in (0, 200, 201):
                run.errors[str(status)] = run.errors.get(str(status), 0) + 1
                await asyncio.sleep(0.01)
                continue
            run.sent.append((i, seq))
            try:
                await asyncio.wait_for(echoes[i].wait(), 10)
            except TimeoutError:
                run.errors["echo_timeout"] = run.errors.get("echo_timeout", 0) + 1
            if refused[i]:
                run.sent.remove((i, seq))
                await asyncio.sleep(0.01)

    readers = [asyncio.create_task(reader(i)) for i in range(n)]
    cpu0, client0, machine0, stores0 = cpu_s(system.pids), time.process_time(), machine_cpu_s(), stores_cpu()
    started = time.perf_counter()
    await asyncio.gather(*(sender(i, started + seconds) for i in range(n)))
    # Let the last messages arrive everywhere (or be counted lost).
    deadline = time.perf_counter() + DRAIN_S
    want = len(run.sent)
    while time.perf_counter() < deadline and any(len(s) < want for s in run.seen):  # noqa: ASYNC110 - polling counts
        await asyncio.sleep(0.02)
    run.server_cpu_s += cpu_s(system.pids) - cpu0
    run.client_cpu_s += time.process_time() - client0
    run.machine_cpu_s += machine_cpu_s() - machine0
    run.stores_cpu_s += stores_cpu_s(stores0)
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    run.rounds.append((run.deliveries() - before, max(1e-9, last[0] - started)))


def summary(run: Run) -> str:
    """One line of figures."""
    seconds = sum(t for _, t in run.rounds)
    p50 = sorted(run.latencies)[len(run.latencies) // 2] * 1000 if run.latencies else 0.0
    return (f"{run.name:9}: {len(run.sent)} messages sent ({len(run.sent) / seconds:.0f}/s), {run.deliveries()} "
            f"deliveries to others ({run.per_s():.0f}/s), p50 {p50:.1f} ms, p99 {run.p99_ms():.1f} ms, lost "
            f"{run.lost()}, duplicates {run.duplicates}, errors {run.errors}; CPU ms per message sent: servers "
            f"{run.server_cpu_s * 1000 / max(1, len(run.sent)):.2f}, clients "
            f"{run.client_cpu_s * 1000 / max(1, len(run.sent)):.2f}, PostgreSQL + Redis "
            f"{run.stores_cpu_s * 1000 / max(1, len(run.sent)):.2f}, whole machine "
            f"{run.machine_cpu_s * 1000 / max(1, len(run.sent)):.2f} ({run.machine_cpu_s / seconds:.2f} cores busy)")


# ---------------------------------------------------------------------------------------------------------------------
# The two systems
# ---------------------------------------------------------------------------------------------------------------------


async def start_sbor(stack: AsyncExitStack, env: dict[str, str], tokens: list[str], group_id: int) -> System:
    """Two Sbor API processes; every client signed in and subscribed to the group's room; sends over WS or HTTP."""
    ports = [free_port(), free_port()]
    procs = [stack.enter_context(server([*uvicorn_args("core.app:asgi", port, factory=True), "--ws",
                                         "websockets-sansio"], port, env)) for port in ports]
    room = f"groups.chat:{group_id}"
    sockets: list[ClientConnection] = []
    for i, token in enumerate(tokens):
        ws = await stack.enter_async_context(connect(f"ws://127.0.0.1:{ports[i % 2]}/api/v1/realtime",
                                                     open_timeout=10, max_queue=None, ping_interval=None))
        await ws.send(json.dumps({"type": "auth", "token": token}))
        assert _frame.decode(await ws.recv())["type"] == "ready"
        await ws.send(json.dumps({"type": "subscribe", "room": room}))
        frame = _frame.decode(await ws.recv())
        assert frame == {"type": "subscribed", "room": room}, frame
        sockets.append(ws)
    clients = [await stack.enter_async_context(httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", timeout=30, limits=httpx.Limits(max_connections=len(tokens))))
        for port in ports]
    url = f"/api/v1/groups/{group_id}/chat/messages"
    headers = [{"Authorization": f"Bearer {token}"} for token in tokens]

    async def post(i: int, seq: int, body: str) -> int:
        return (await clients[i % 2].post(url, json={"body": body}, headers=headers[i])).status_code

    async def send(i: int, seq: int, body: str) -> int:
        await sockets[i].send(_encode({"type": "send", "room": room, "id": str(seq), "data": {"body": body}}))
        return 0

    def body_of(frame: dict[str, Any]) -> str | None:
        data = frame.get("data") or {}
        return data.get("message", {}).get("body") if data.get("event") == "message.created" else None

    return System("Sbor", sockets, {"ws": send, "http": post}, body_of, [p.pid for p in procs])


async def start_baseline(stack: AsyncExitStack, env: dict[str, str], n: int) -> System:
    """Two bare Litestar processes (``_chat_baseline.py``); every client subscribed."""
    ports = [free_port(), free_port()]
    procs = [stack.enter_context(server([*uvicorn_args("_chat_baseline:app", port), "--ws", "websockets-sansio",
                                         "--app-dir", str(ROOT / "bench")], port, env)) for port in ports]
    sockets = []
    for i in range(n):
        ws = await stack.enter_async_context(connect(f"ws://127.0.0.1:{ports[i % 2]}/ws", open_timeout=10,
                                                     ping_interval=None,
                                                     max_queue=None))
        assert _frame.decode(await ws.recv()) == {"type": "subscribed"}
        sockets.append(ws)
    clients = [await stack.enter_async_context(httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", timeout=30, limits=httpx.Limits(max_connections=n))) for port in ports]

    async def post(i: int, seq: int, body: str) -> int:
        return (await clients[i % 2].post("/send", json={"body": body})).status_code

    async def send(i: int, seq: int, body: str) -> int:
        await sockets[i].send(_encode({"body": body}))
        return 0

    def body_of(frame: dict[str, Any]) -> str | None:
        return (frame.get("data") or {}).get("body")

    return System("baseline", sockets, {"ws": send, "http": post}, body_of, [p.pid for p in procs])


# ---------------------------------------------------------------------------------------------------------------------
# Set-up: a fresh database with N members of one group, and their access tokens
# ---------------------------------------------------------------------------------------------------------------------


async def prepare(n: int) -> tuple[list[str], int]:
    from core import db, migrations
    from core.auth.services import open_session
    from core.hooks.manager import load

    registry = load()
    await migrations.migrate(registry)
    await db.start_pool()
    try:
        await db.fetch("INSERT INTO users.account (email, display_name, password_hash, status, is_verified, "
                       "created_at, language, timezone) SELECT 'chat' || g || '@bench.test', 'Member ' || g, '', "
                       "'active', true, now(), 'en', 'Europe/Berlin' FROM generate_series(1, $1) g", n)
        ids = [r["id"] for r in await db.fetch("SELECT id FROM users.account ORDER BY id")]
        group_id = (await db.fetch(
            'INSERT INTO groups."group" (name, slug, member_count, created_by, created_at, updated_at) '
            "VALUES ('Bench', 'bench', $1, $2, now(), now()) RETURNING id", n, ids[0]))[0]["id"]
        await db.fetch('INSERT INTO groups.member ("group", "user", role, state, joined_at, created_at, updated_at) '
                       "SELECT $1, u, CASE WHEN u = $2 THEN 'owner' ELSE 'member' END, 'active', now(), now(), now() "
                       "FROM unnest($3::int[]) u", group_id, ids[0], ids)
        tokens = [(await open_session(uid, device="bench"))[1] for uid in ids]
    finally:
        await db.close_pool()
    return tokens, group_id


async def main() -> None:
    plugins = 'enabled = ["events", "groups"]\n[settings.groups]\nchat_messages_per_minute = 100000000\n'
    async with scratch(plugins, "chat", {"SBOR_HTTP_RATE_LIMIT": "0", "SBOR_REALTIME_FRAMES_PER_S": "1000000",
                                         "SBOR_REALTIME_FRAMES_BURST": "1000000"}) as s:
        env = {**s.env, "BENCH_REDIS_URL": s.redis_url, "BENCH_CHANNEL": f"{s.namespace}:bench-room"}
        os.environ.update(env)
        from core import settings

        settings.reload()
        tokens, group_id = await prepare(CLIENTS)
        modes = ["ws", "http"] if HTTP else ["ws"]
        print(f"{CLIENTS} clients over two processes per system; closed loops (send, await the echo); {ROUNDS} "
              f"alternating rounds of {SECONDS:.0f} s per system and way of sending ({', '.join(modes)}); "
              f"load average before: {os.getloadavg()[0]:.1f}")
        runs: dict[tuple[str, str], Run] = {}
        async with AsyncExitStack() as stack:
            systems = [await start_baseline(stack, env, CLIENTS), await start_sbor(stack, env, tokens, group_id)]
            for _ in range(ROUNDS):  # alternating, so drift in the shared machine's load falls on all
                for mode in modes:
                    for system in systems:
                        run = runs.setdefault((system.name, mode), Run(f"{system.name}-{mode}", CLIENTS))
                        await drive(system, run, system.sends[mode], SECONDS)
        for run in runs.values():
            print(summary(run))
        conn = await asyncpg.connect(s.db_url)
        stored = await conn.fetchval("SELECT count(*) FROM groups.chat_message")
        await conn.close()
        sbor_sent = sum(len(r.sent) for (name, _), r in runs.items() if name == "Sbor")
        print(f"messages stored: {stored} (sent: {sbor_sent})")
    figures: dict[str, Any] = {"bench": "chat"}
    for mode in modes:
        sbor, baseline = runs[("Sbor", mode)], runs[("baseline", mode)]
        prefix = "" if mode == "ws" else f"{mode}_"
        ratio = sbor.per_s() / baseline.per_s() if baseline.per_s() else 0.0
        figures.update({
            f"{prefix}msgs_per_s": round(sbor.per_s()), f"{prefix}baseline_msgs_per_s": round(baseline.per_s()),
            f"{prefix}ratio": round(ratio, 3), f"{prefix}p99_ms": round(sbor.p99_ms(), 1),
            f"{prefix}lost": sbor.lost(), f"{prefix}duplicates": sbor.duplicates,
            f"{prefix}baseline_p99_ms": round(baseline.p99_ms(), 1), f"{prefix}baseline_lost": baseline.lost(),
            f"{prefix}sent_per_s": round(len(sbor.sent) / sum(t for _, t in sbor.rounds)),
            f"{prefix}baseline_sent_per_s": round(len(baseline.sent) / sum(t for _, t in baseline.rounds)),
            f"{prefix}server_cpu_ms_per_msg": round(sbor.server_cpu_s * 1000 / max(1, len(sbor.sent)), 2),
            f"{prefix}baseline_server_cpu_ms_per_msg": round(
                baseline.server_cpu_s * 1000 / max(1, len(baseline.sent)), 2),
            f"{prefix}errors": sum(sbor.errors.values())})
    figures.update({"stored": stored, "stored_ok": stored == sbor_sent, "clients": CLIENTS,
                    "load_average": round(os.getloadavg()[0], 1)})
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())
