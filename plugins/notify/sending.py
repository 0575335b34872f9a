"""A chunk's notifications through their channels, round by round: the delivery actor's concurrent sender.

Per-channel delivery rows are taken and ended in one statement each per round, provider calls a few at a time. The
delivery actor (:mod:`plugins.notify.delivery`) decides and renders each notification into a :class:`Work`; this
module sends them and records each channel's outcome; the actor then concludes and finishes the rows.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import msgspec

from core import clock, db
from core.hooks import plugin_settings
from plugins.notify import NotifySettings, sql
from plugins.notify.channels.base import Message, SendResult, describe
from plugins.notify.channels.registry import channels
from plugins.notify.prefs import remove_invalid_tokens
from plugins.notify.tables import Delivery


@dataclass
class Work:
    """One notification in this run: its row, rendered message, remaining channels and how it ended."""

    row: dict[str, Any]
    message: Message | None = None
    chain: list[str] = field(default_factory=list)
    inbox: tuple[str, str, dict[str, Any]] | None = None  # title, body, data
    status: str = ""  # final status once decided: sent | pending | failed | cancelled | sending (someone else's)
    error: str = ""
    due_at: datetime | None = None
    expires_at: datetime | None = None  # set only to bring the row's expiry forward
    refund: int = 0
    errors: list[str] = field(default_factory=list)
    transient: bool = False
    logs: list[tuple[str, str, str]] = field(default_factory=list)  # channel, status, error (decisions)
    sent_by: str = ""

    def end(self, status: str, error: str = "", due_at: datetime | None = None, refund: int = 0) -> None:
        self.status, self.error, self.due_at, self.refund = status, error[:1000], due_at, refund

    def outcome(self) -> dict[str, Any]:
        return {"id": self.row["id"], "status": self.status, "error": self.error, "refund": self.refund,
                "due_at": self.due_at.isoformat() if self.due_at else None,
                "expires_at": self.expires_at.isoformat() if self.expires_at else None}


def to_json(value: Any) -> str:
    """A chunk's rows as one JSON text for ``jsonb_to_recordset`` (msgspec: a fifth of the time of ``json.dumps``)."""
    return _encode(value).decode()


_encode = msgspec.json.Encoder().encode


async def through_chains(work: list[Work]) -> None:
    """Try each notification's channels in order, all notifications of the chunk together, round by round."""
    s = plugin_settings(NotifySettings)
    table = channels()
    active = work
    while active:
        step: list[tuple[Work, str, Any]] = []
        for w in active:
            while w.chain:
                name = w.chain.pop(0)
                channel = table.get(name)
                if channel is not None and w.message is not None and channel.available_for(w.message):
                    step.append((w, name, channel))
                    break
        if not step:
            return
        now = clock.now()
        keys = [{"nid": w.row["id"], "channel": name, "key": f"n{w.row['id']}:{name}"} for w, name, _c in step]
        taken = {r["idempotency_key"]: r["id"] for r in await db.fetch(
            sql.BEGIN_MANY, to_json(keys), now, now - timedelta(seconds=s.lease_s))}
        missing = [k["key"] for k in keys if k["key"] not in taken]
        states: dict[str, str] = {}
        if missing:
            states = {r["idempotency_key"]: r["status"] for r in await Delivery.select(
                Delivery.idempotency_key, Delivery.status).where(Delivery.idempotency_key.is_in(missing))}
        sends: list[tuple[Work, str, Any, int]] = []
        for (w, name, channel), k in zip(step, keys, strict=True):
            if k["key"] in taken:
                sends.append((w, name, channel, taken[k["key"]]))
            elif states.get(k["key"]) == "sent":
                w.end("sent")  # done before a crash: never call the provider twice
            elif states.get(k["key"]) == "sending":
                w.end("sending")  # another worker is on it right now; its lease decides
            # else: failed for good on this channel earlier: the next one is tried in the next round

        results = await send_all(sends, s.concurrency)
        ended = []
        dead: list[str] = []
        for (w, name, _c, delivery_id), result in zip(sends, results, strict=True):
            dead += result.invalid_tokens
            ended.append({"id": delivery_id, "status": {"sent": "sent", "retry": "retry", "rejected": "failed"}[
                result.outcome], "provider_id": result.provider_id[:255], "destination": result.destination[:255],
                "error": result.error[:1000], "nid": w.row["id"], "user_id": w.row["user_id"], "kind": w.row["kind"],
                "channel": name, "outcome": result.outcome})
            if result.outcome == "sent":
                w.end("sent")
                w.sent_by = name
            else:
                w.errors.append(f"{name}: {result.error}")
                if result.outcome == "retry":
                    w.transient = True
                    w.chain = []  # try this channel again later before falling back further
        if ended:
            await db.fetch(sql.END_MANY, to_json(ended), clock.now())
        if dead:
            await remove_invalid_tokens(dead)
        active = [w for w in active if not w.status and w.chain]


async def send_all(sends: list[tuple[Work, str, Any, int]], concurrency: int) -> list[SendResult]:
    """Each send's result, at most ``concurrency`` provider calls at a time.

    A few runners take the next send as they finish one (rather than a task and a semaphore wait per message): the
    email channel's connections then go from one message to the next without extra scheduling.
    """
    results: list[SendResult | None] = [None] * len(sends)
    todo = iter(enumerate(sends))

    async def runner() -> None:
        for i, (w, name, channel, _id) in todo:
            assert w.message is not None
            try:
                results[i] = await channel.send(replace(w.message, idempotency_key=f"n{w.row['id']}:{name}"))
            except Exception as exc:  # a provider plug-in that raises counts as a temporary failure
                results[i] = SendResult("retry", describe(exc))

    runners = min(concurrency, len(sends)) or 1
    await asyncio.gather(*(runner() for _ in range(runners)))
    return [r if r is not None else SendResult("retry", "not sent") for r in results]
