"""Webhooks: incoming (verified, stale refused, de-duplicated, unknown orders, 10 MB refused before parsing) and
outgoing to the venue's system (Standard Webhooks, rotatable secrets)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from plugins.orders import signing
from plugins.orders.conformance.reference import ReferencePos
from plugins.orders.conformance.standin import Reply, Request, StandInServer
from tests.plugins.orders.conftest import Person
from tests.plugins.orders.test_pos_flow import order_of, submitted


def hook_url(venue_id: int) -> str:
    return f"/api/v1/orders/pos/{venue_id}/webhooks"


async def sent_order(api: httpx.AsyncClient, guest: Person, draft: Any, events_venue: Any, run_jobs: Any) -> str:
    order_id = await submitted(api, guest, draft, events_venue)
    await run_jobs()
    return order_id


async def test_a_repeated_delivery_is_ignored(api: httpx.AsyncClient, guest: Person, pos_venue: ReferencePos,
                                              draft: Any, events_venue: Any, run_jobs: Any) -> None:
    order_id = await sent_order(api, guest, draft, events_venue, run_jobs)
    headers, body = pos_venue.webhook(order_id, "accepted", delivery_id="msg_1")
    first = await api.post(hook_url(events_venue.id), headers=headers, content=body)
    assert first.json() == {"applied": 1, "duplicates": 0, "unknown": 0, "ignored": 0}
    again = await api.post(hook_url(events_venue.id), headers=headers, content=body)
    assert again.status_code == 200 and again.json()["duplicates"] == 1
    moves = (await order_of(api, guest, order_id))["moves"]
    assert [m["to_status"] for m in moves].count("confirmed") == 1


async def test_bad_signatures_are_refused(api: httpx.AsyncClient, guest: Person, pos_venue: ReferencePos,
                                          draft: Any, events_venue: Any, run_jobs: Any) -> None:
    order_id = await sent_order(api, guest, draft, events_venue, run_jobs)
    headers, body = pos_venue.webhook(order_id, "accepted", secret=signing.new_secret())
    r = await api.post(hook_url(events_venue.id), headers=headers, content=body)
    assert r.status_code == 401 and r.json()["code"] == "webhook_invalid"
    headers, body = pos_venue.webhook(order_id, "accepted")
    r = await api.post(hook_url(events_venue.id), headers=headers, content=body.replace(b"accepted", b"rejected"))
    assert r.status_code == 401 and r.json()["code"] == "webhook_invalid"
    r = await api.post(hook_url(events_venue.id), content=body, headers={"content-type": "application/json"})
    assert r.status_code == 401
    assert (await order_of(api, guest, order_id))["status"] == "submitted"


async def test_a_stale_webhook_is_refused(api: httpx.AsyncClient, guest: Person, pos_venue: ReferencePos,
                                          draft: Any, events_venue: Any, run_jobs: Any, clock: Any) -> None:
    order_id = await sent_order(api, guest, draft, events_venue, run_jobs)
    headers, body = pos_venue.webhook(order_id, "accepted", at=clock.timestamp() - 301)
    r = await api.post(hook_url(events_venue.id), headers=headers, content=body)
    assert r.status_code == 401 and r.json()["code"] == "webhook_invalid"


async def test_a_webhook_for_an_unknown_order(api: httpx.AsyncClient, pos_venue: ReferencePos,
                                              events_venue: Any) -> None:
    headers, body = pos_venue.webhook("5b1e7c3a-0000-4000-8000-000000000000", "accepted")
    r = await api.post(hook_url(events_venue.id), headers=headers, content=body)
    assert r.status_code == 200 and r.json() == {"applied": 0, "duplicates": 0, "unknown": 1, "ignored": 0}
    headers, body = pos_venue.webhook("not-a-uuid", "accepted")
    r = await api.post(hook_url(events_venue.id), headers=headers, content=body)
    assert r.json()["unknown"] == 1


async def test_a_10_mb_body_is_refused_before_parsing(api: httpx.AsyncClient, pos_venue: ReferencePos,
                                                      events_venue: Any) -> None:
    huge = b'{"pad": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    r = await api.post(hook_url(events_venue.id), content=huge, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"

    async def chunks() -> Any:  # no Content-Length: refused while streaming
        for _ in range(40):
            yield b"x" * (256 * 1024)

    r = await api.post(hook_url(events_venue.id), content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


async def test_a_venue_without_pos_and_an_illegal_move_from_the_pos(
        api: httpx.AsyncClient, guest: Person, pos_venue: ReferencePos, draft: Any, events_venue: Any,
        run_jobs: Any, staff: Person) -> None:
    from plugins.events import services

    other = await services.create_venue(services.Actor(staff.id), {
        "name": "No POS", "city": "Berlin", "latitude": 52.5, "longitude": 13.4, "timezone": "Europe/Berlin"})
    r = await api.post(hook_url(other["id"]), content=b"{}", headers={"content-type": "application/json"})
    assert r.status_code == 404 and r.json()["code"] == "pos_not_configured"
    order_id = await sent_order(api, guest, draft, events_venue, run_jobs)
    headers, body = pos_venue.webhook(order_id, "picked_up")  # submitted → completed is no move: ignored
    r = await api.post(hook_url(events_venue.id), headers=headers, content=body)
    assert r.json()["ignored"] == 1
    assert (await order_of(api, guest, order_id))["status"] == "submitted"


class Receiver(StandInServer):
    """A venue's own system receiving our outgoing webhooks."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[Request] = []
        self.route("POST", "/hooks", self._receive)

    def _receive(self, req: Request) -> Reply:
        with self.lock:
            self.received.append(req)
        return Reply(204)


async def test_outgoing_webhooks_are_signed_and_rotatable(api: httpx.AsyncClient, guest: Person, staff: Person,
                                                          draft: Any, events_venue: Any, menu: Any,
                                                          clock: Any) -> None:
    from plugins.orders import webhooks

    receiver = Receiver().start()
    try:
        r = await api.put(f"/api/v1/orders/venues/{events_venue.id}/pos", headers=staff.headers, json={
            "adapter": "manual", "outgoing_url": receiver.base_url + "/hooks"})
        assert r.status_code == 200, r.text
        first_secret = r.json()["new_outgoing_secret"]
        assert first_secret.startswith("whsec_") and r.json()["outgoing_secrets"] == 1
        read = await api.get(f"/api/v1/orders/venues/{events_venue.id}/pos", headers=staff.headers)
        assert read.json()["new_outgoing_secret"] is None and "secret" not in json.dumps(
            {k: v for k, v in read.json().items() if k not in ("secret_set", "webhook_secret_set",
                                                                "outgoing_secrets", "new_outgoing_secret")})
        order = await draft(guest)
        from tests.plugins.orders.conftest import submit

        await submit(api, guest, order["id"])
        assert await webhooks.deliver_due() == 1
        got = receiver.received[-1]
        assert signing.verify([first_secret], got.headers, got.body, now=clock.timestamp())
        assert json.loads(got.body)["data"]["status"] == "submitted"
        # Rotation: both secrets sign until the next rotation.
        r = await api.put(f"/api/v1/orders/venues/{events_venue.id}/pos", headers=staff.headers, json={
            "adapter": "manual", "outgoing_url": receiver.base_url + "/hooks", "rotate_outgoing_secret": True})
        second_secret = r.json()["new_outgoing_secret"]
        assert r.json()["outgoing_secrets"] == 2 and second_secret != first_secret
        await api.post(f"/api/v1/orders/{order['id']}/status", headers=staff.headers, json={"status": "confirmed"})
        assert await webhooks.deliver_due() == 1
        got = receiver.received[-1]
        assert len(got.headers["webhook-signature"].split(" ")) == 2
        assert signing.verify([first_secret], got.headers, got.body, now=clock.timestamp())
        assert signing.verify([second_secret], got.headers, got.body, now=clock.timestamp())
    finally:
        receiver.stop()


async def test_secrets_are_encrypted_at_rest_and_never_returned(api: httpx.AsyncClient, staff: Person,
                                                                pos_venue: ReferencePos, events_venue: Any) -> None:
    from plugins.orders.tables import VenuePos

    row = await VenuePos.select().where(VenuePos.venue_id == events_venue.id).first()
    secret, webhook_secret = pos_venue.secrets()
    assert row is not None and secret not in row["secret_enc"] and webhook_secret not in row["webhook_secret_enc"]
    r = await api.get(f"/api/v1/orders/venues/{events_venue.id}/pos", headers=staff.headers)
    assert r.json()["secret_set"] and r.json()["webhook_secret_set"]
    assert secret not in r.text and webhook_secret not in r.text
    # An empty secret keeps the stored one.
    r = await api.put(f"/api/v1/orders/venues/{events_venue.id}/pos", headers=staff.headers, json={
        "adapter": "http", "settings": pos_venue.adapter_settings()})
    assert r.json()["secret_set"]
    r = await api.put(f"/api/v1/orders/venues/{events_venue.id}/pos", headers=staff.headers, json={
        "adapter": "http", "settings": {"nope": "x"}})
    assert r.status_code == 422 and r.json()["code"] == "unknown_pos_setting"
    r = await api.put(f"/api/v1/orders/venues/{events_venue.id}/pos", headers=staff.headers, json={
        "adapter": "square"})
    assert r.status_code == 404 and r.json()["code"] == "adapter_unavailable"
