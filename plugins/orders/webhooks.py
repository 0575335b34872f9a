"""Webhooks: incoming from venues' POS (verified, de-duplicated, applied) and outgoing to venues' own systems.

Outgoing ones carry order status, signed the Standard Webhooks way, from an outbox, retried with backoff.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx
import msgspec

from core import clock, realtime
from core.errors import NotAuthenticated, NotFound
from core.hooks import plugin_settings
from plugins.orders import OrdersSettings, credentials, flow, pos, signing, sql
from plugins.orders.hookspecs import PosUnavailable, WebhookEvent, WebhookRejected
from plugins.orders.http_adapter import tls
from plugins.orders.schemas import WebhookResult
from plugins.orders.store import load, parse_id, transaction
from plugins.orders.tables import Order, OutgoingWebhook, VenuePos, WebhookDelivery

log = logging.getLogger("plugins.orders")
OUTGOING_MAX_ATTEMPTS = 8


async def receive(venue_id: int, headers: Mapping[str, str], body: bytes) -> WebhookResult:
    """Verify a POS webhook with the venue's adapter and apply its events; a repeated delivery id is ignored."""
    if await pos.config_row(venue_id) is None:
        raise NotFound("no POS is configured for this venue", code="pos_not_configured")
    adapter, conn = await pos.connection(venue_id)
    try:
        events = pos.checked_events(adapter.parse_webhook(conn, headers, body))
    except WebhookRejected as exc:
        log.warning("webhook for venue %s refused: %s", venue_id, exc)
        raise NotAuthenticated("The webhook could not be verified: %(exc)s",
                               params={"exc": exc}, code="webhook_invalid") from None
    except PosUnavailable as exc:
        raise NotAuthenticated("The webhook could not be understood: %(exc)s",
                               params={"exc": exc}, code="webhook_invalid") from None
    tolerance = plugin_settings(OrdersSettings).webhook_tolerance_s
    now = clock.now()
    for event in events:
        if abs((now - event.sent_at).total_seconds()) > tolerance:
            raise NotAuthenticated("The webhook's timestamp is outside the tolerance (a replay?)",
                                   code="webhook_stale")
    result = WebhookResult(applied=0, duplicates=0, unknown=0, ignored=0)
    for event in events:
        outcome = await _apply(venue_id, event)
        setattr(result, outcome, getattr(result, outcome) + 1)
    return result


async def _apply(venue_id: int, event: WebhookEvent) -> str:
    async with realtime.after_commit() as rt, transaction():
        seen = await WebhookDelivery.raw(sql.WEBHOOK_SEEN, venue_id, event.delivery_id, clock.now())
        if not seen:
            return "duplicates"
        order_id = await _find(venue_id, event)
        if order_id is None:
            log.info("webhook for venue %s: unknown order (%s / %s)", venue_id, event.order_id, event.pos_order_id)
            return "unknown"
        row = await load(order_id, lock=True)
        changes: dict[str, Any] = {"pos_checked_at": clock.now()}
        if event.pos_order_id and not row["pos_order_id"]:
            changes["pos_order_id"] = event.pos_order_id
        if row["pos_state"] in flow.WAITING_FOR_POS:
            changes["pos_state"] = "sent"  # the POS has it: no need to send it again
        moved = await flow.apply_status(row, event.status, event.reason, rt, **changes)
        return "applied" if moved else "ignored"


async def _find(venue_id: int, event: WebhookEvent) -> str | None:
    if event.order_id:
        try:
            oid = parse_id(event.order_id)
        except NotFound:
            return None
        row = await Order.select(Order.id).where(Order.id == oid, Order.venue_id == venue_id).first()
        if row:
            return str(row["id"])
    if event.pos_order_id:
        row = await Order.select(Order.id).where(Order.pos_order_id == event.pos_order_id,
                                                 Order.venue_id == venue_id).first()
        if row:
            return str(row["id"])
    return None


async def forget_deliveries(days: int = 7) -> int:
    """Drop delivery ids older than ``days`` (vendors stop retrying long before)."""
    rows = await WebhookDelivery.delete().where(
        WebhookDelivery.received_at < clock.now() - timedelta(days=days)).returning(WebhookDelivery.id)
    return len(rows)


# ---------------------------------------------------------------------------------------------------------------------
# Outgoing
# ---------------------------------------------------------------------------------------------------------------------


async def deliver_due(limit: int = 100, client: httpx.AsyncClient | None = None) -> int:
    """Send due outgoing webhooks (claimed with a lease, so two workers never send one twice at once)."""
    now = clock.now()
    async with transaction():
        due = await OutgoingWebhook.raw(sql.OUTGOING_DUE, now, limit)
        if due:
            await OutgoingWebhook.update({OutgoingWebhook.next_at: now + timedelta(minutes=2)}).where(
                OutgoingWebhook.id.is_in([d["id"] for d in due]))
    if not due:
        return 0
    own = client is None
    http = client or httpx.AsyncClient(timeout=plugin_settings(OrdersSettings).pos_timeout_s, verify=tls())
    sent = 0
    try:
        for d in due:
            sent += await _deliver(http, d)
    finally:
        if own:
            await http.aclose()
    return sent


async def _deliver(http: httpx.AsyncClient, d: dict[str, Any]) -> int:
    cfg = await VenuePos.select(VenuePos.outgoing_url, VenuePos.outgoing_secrets_enc).where(
        VenuePos.venue_id == d["venue_id"]).first()
    payload = d["payload"] if isinstance(d["payload"], str) else msgspec.json.encode(d["payload"]).decode()
    body = payload.encode()
    ok = False
    if cfg and cfg["outgoing_url"]:
        secrets_ = credentials.decrypt_list(cfg["outgoing_secrets_enc"])
        headers = {"content-type": "application/json",
                   **signing.sign(secrets_, d["message_id"], int(clock.timestamp()), body)}
        try:
            response = await http.post(cfg["outgoing_url"], content=body, headers=headers)
            ok = 200 <= response.status_code < 300
        except httpx.HTTPError as exc:
            log.info("outgoing webhook %s to venue %s failed: %s", d["message_id"], d["venue_id"], exc)
    attempts = d["attempts"] + 1
    now = clock.now()
    if ok:
        await OutgoingWebhook.update({OutgoingWebhook.delivered_at: now, OutgoingWebhook.attempts: attempts}).where(
            OutgoingWebhook.id == d["id"])
        return 1
    values: dict[Any, Any] = {OutgoingWebhook.attempts: attempts,
                              OutgoingWebhook.next_at: now + timedelta(seconds=min(3600, 5 * 3 ** attempts))}
    if attempts >= OUTGOING_MAX_ATTEMPTS or not cfg or not cfg["outgoing_url"]:
        values[OutgoingWebhook.failed_at] = now
    await OutgoingWebhook.update(values).where(OutgoingWebhook.id == d["id"])
    return 0
