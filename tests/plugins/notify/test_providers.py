"""Push (FCM HTTP v1, APNs) and SMS (Twilio contract) against a real local HTTP server; fallbacks; dead tokens."""

from __future__ import annotations

import base64
from dataclasses import replace
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from core import db
from plugins.events import hookspecs as events_specs
from plugins.notify.prefs import register_device
from tests.plugins.notify.conftest import fire, join, make_event
from tests.plugins.notify.test_delivery import deliver_due, email_settings


def pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC = ec.generate_private_key(ec.SECP256R1())


def fcm_settings(provider, port: int, **over) -> dict:
    return {**email_settings(port), "channels": ["push", "sms", "email"], "fcm_project_id": "demo",
            "fcm_client_email": "sbor@demo.iam.gserviceaccount.com", "fcm_private_key": pem(RSA),
            "fcm_token_url": f"{provider.url}/token", "fcm_url": provider.url, **over}


def fcm_routes(provider, tokens_issued: list) -> None:
    def token(seen):
        form = parse_qs(seen.body.decode())
        assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
        claims = jwt.decode(form["assertion"][0], RSA.public_key(), algorithms=["RS256"],
                            audience=f"{provider.url}/token")
        assert claims["iss"] == "sbor@demo.iam.gserviceaccount.com"
        assert claims["scope"] == "https://www.googleapis.com/auth/firebase.messaging"
        assert claims["exp"] - claims["iat"] == 3600
        tokens_issued.append(claims)
        return 200, {}, {"access_token": "ya29.test-token", "expires_in": 3599, "token_type": "Bearer"}

    def send(seen):
        if seen.headers.get("authorization") != "Bearer ya29.test-token":
            return 401, {}, {"error": {"code": 401, "status": "UNAUTHENTICATED", "message": "bad token"}}
        device = seen.json()["message"]["token"]
        if device.startswith("dead"):
            return 404, {}, {"error": {"code": 404, "message": "Requested entity was not found.",
                                       "status": "NOT_FOUND", "details": [
                                           {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                                            "errorCode": "UNREGISTERED"}]}}
        if device.startswith("busy"):
            return 503, {}, {"error": {"code": 503, "status": "UNAVAILABLE", "message": "The service is unavailable."}}
        return 200, {}, {"name": f"projects/demo/messages/{len(provider.requests)}"}

    provider.routes["/token"] = token
    provider.routes["/v1/projects/demo/messages:send"] = send


async def tokens_of(user_id: int) -> list[str]:
    return [r["token"] for r in await db.fetch("SELECT token FROM notify.device_token WHERE user_id = $1 ORDER BY id",
                                               user_id)]


async def test_fcm_request_is_signed_and_dead_tokens_are_removed(use_settings, smtp, provider, make_user,
                                                                  run_jobs) -> None:
    recorder, port = smtp
    issued: list = []
    fcm_routes(provider, issued)
    use_settings(**fcm_settings(provider, port))
    user = await make_user()
    await register_device(user.id, "fcm", "good-token-1")
    await register_device(user.id, "fcm", "dead-token-2")
    await fire(events_specs.event_published, event=make_event(40, author_id=user.id, title="Jam session"),
               moderator_id=None)
    await fire(events_specs.event_rejected, event=make_event(41, author_id=user.id), moderator_id=1, reason="Duplicate")
    await deliver_due(run_jobs)
    sends = [r for r in provider.requests if r.path.endswith("messages:send")]
    assert len(issued) == 1  # the OAuth token is cached across messages
    assert sorted(r.json()["message"]["token"] for r in sends) == ["dead-token-2", "dead-token-2", "good-token-1",
                                                                    "good-token-1"]
    first = next(r.json()["message"] for r in sends if r.json()["message"]["data"]["subject"] == "events.event:40"
                 and r.json()["message"]["token"] == "good-token-1")
    assert first["notification"] == {"title": 'Your event "Jam session" is published',
                                     "body": '"Jam session" passed moderation and is now visible to everyone.'}
    assert first["data"]["subject"] == "events.event:40" and first["data"]["kind"] == "events.published"
    assert await tokens_of(user.id) == ["good-token-1"]
    assert recorder.messages == []  # push was accepted: no fallback
    assert [r["status"] for r in await db.fetch("SELECT status FROM notify.notification ORDER BY id")] == ["sent"] * 2
    # the dead token is never tried again
    await fire(events_specs.event_published, event=make_event(46, author_id=user.id), moderator_id=None)
    await deliver_due(run_jobs)
    later = [r.json()["message"]["token"] for r in provider.requests if r.path.endswith("messages:send")][4:]
    assert later == ["good-token-1"]


async def test_push_rejected_falls_back_to_sms_then_email(use_settings, smtp, provider, make_user,
                                                          run_jobs) -> None:
    recorder, port = smtp
    fcm_routes(provider, [])

    def sms(seen):
        auth = base64.b64decode(seen.headers["authorization"].removeprefix("Basic ")).decode()
        assert auth == "AC123:secret-token"
        form = parse_qs(seen.body.decode())
        if form["To"] == ["+15005550001"]:
            return 400, {}, {"code": 21211, "message": "The 'To' number +15005550001 is not a valid phone number.",
                             "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}
        return 201, {}, {"sid": "SM" + "a" * 32, "status": "queued", "to": form["To"][0], "body": form["Body"][0]}

    provider.routes["/2010-04-01/Accounts/AC123/Messages.json"] = sms
    use_settings(**fcm_settings(provider, port, sms_url=provider.url, sms_account_sid="AC123",
                                sms_auth_token="secret-token", sms_from="+15005550006"))
    texted = await make_user(phone="+4915112345678")
    bad_phone = await make_user(phone="+15005550001", email="fallback@example.org")
    for u in (texted, bad_phone):
        await register_device(u.id, "fcm", f"dead-{u.id}")
    event = make_event(42)
    for u in (texted, bad_phone):
        await join(event=event, user_id=u.id, guests=0, status="confirmed")
    await fire(events_specs.event_cancelled, event=replace(event, status="cancelled"), reason="Rain", actor_id=1)
    await deliver_due(run_jobs)
    sms_sent = [parse_qs(r.body.decode()) for r in provider.requests if r.path.endswith("Messages.json")]
    # A chunk's notifications are sent concurrently: the order between the two people is not fixed.
    assert sorted(s["To"][0] for s in sms_sent) == ["+15005550001", "+4915112345678"]
    assert sms_sent[0]["From"] == ["+15005550006"] and "is cancelled: Rain" in sms_sent[0]["Body"][0]
    assert [m.to for m in recorder.messages] == [["fallback@example.org"]]
    assert await tokens_of(texted.id) == [] and await tokens_of(bad_phone.id) == []
    log = await db.fetch("SELECT user_id, channel, status FROM notify.attempt ORDER BY id")
    assert [(r["channel"], r["status"]) for r in log if r["user_id"] == bad_phone.id] == [
        ("push", "rejected"), ("sms", "rejected"), ("email", "sent")]
    assert [(r["channel"], r["status"]) for r in log if r["user_id"] == texted.id] == [
        ("push", "rejected"), ("sms", "sent")]


async def test_provider_outage_is_retried_not_fallen_back(use_settings, smtp, provider, make_user,
                                                          run_jobs) -> None:
    recorder, port = smtp
    fcm_routes(provider, [])
    use_settings(**fcm_settings(provider, port))
    user = await make_user()
    await register_device(user.id, "fcm", "busy-1")
    await fire(events_specs.event_published, event=make_event(43, author_id=user.id), moderator_id=None)
    await deliver_due(run_jobs)
    row = (await db.fetch("SELECT status, attempts, error FROM notify.notification"))[0]
    assert row["status"] == "pending" and row["attempts"] == 1 and "503" in row["error"]
    assert recorder.messages == [] and await tokens_of(user.id) == ["busy-1"]


async def test_apns_request_shape_and_unregistered_token(use_settings, smtp, provider, make_user,
                                                         run_jobs) -> None:
    recorder, port = smtp

    def apns(seen):
        scheme, _, token = seen.headers["authorization"].partition(" ")
        assert scheme == "bearer"
        assert jwt.get_unverified_header(token) == {"alg": "ES256", "kid": "KEY1234567", "typ": "JWT"}
        claims = jwt.decode(token, EC.public_key(), algorithms=["ES256"])
        assert claims["iss"] == "TEAM123456"
        assert seen.headers["apns-topic"] == "org.sbor.app"
        assert seen.headers["apns-push-type"] == "alert"
        assert seen.headers["apns-priority"] in ("5", "10")
        device = seen.path.removeprefix("/3/device/")
        if device == "gone":
            return 410, {}, {"reason": "Unregistered", "timestamp": 1764000000000}
        return 200, {"apns-id": seen.headers["apns-id"]}, b""

    provider.routes["/3/device/"] = apns
    use_settings(**{**email_settings(port), "channels": ["push", "email"], "apns_team_id": "TEAM123456",
                    "apns_key_id": "KEY1234567", "apns_private_key": pem(EC), "apns_topic": "org.sbor.app",
                    "apns_url": provider.url})
    user = await make_user()
    await register_device(user.id, "apns", "a1b2c3")
    await register_device(user.id, "apns", "gone")
    await fire(events_specs.event_published, event=make_event(44, author_id=user.id, title="Picnic"), moderator_id=None)
    await deliver_due(run_jobs)
    assert [r.path for r in provider.requests] == ["/3/device/a1b2c3", "/3/device/gone"]
    body = provider.requests[0].json()
    assert body["aps"]["alert"]["title"] == 'Your event "Picnic" is published'
    assert body["kind"] == "events.published" and body["subject"] == "events.event:44"
    assert await tokens_of(user.id) == ["a1b2c3"]
    assert recorder.messages == []
    # the delivery log names the provider's id of the accepted push
    sent = await db.fetch("SELECT provider_id FROM notify.delivery WHERE channel = 'push'")
    assert sent[0]["provider_id"] == provider.requests[0].headers["apns-id"]


async def test_third_party_channel_replaces_a_builtin(use_settings, smtp, make_user, run_jobs) -> None:
    """A plugin's ``register_notify_channels`` returning a channel named "email" takes over email delivery."""
    recorder, port = smtp
    registry = use_settings(**email_settings(port))
    from plugins.notify.channels.base import SendResult

    class Gateway:
        name = "email"
        sent: list = []

        def available_for(self, message):
            return True

        async def send(self, message):
            self.sent.append(message)
            return SendResult("sent", provider_id="gw-1")

        async def close(self):
            return None

    class ThirdParty:
        @staticmethod
        def register_notify_channels():
            return [Gateway()]

    from core.hooks import hookimpl

    # A plugin depending on notify is called after it (load order); trylast places this late registration so.
    ThirdParty.register_notify_channels = hookimpl(trylast=True)(ThirdParty.register_notify_channels)
    registry.pm.register(ThirdParty, name="zz_gateway")
    user = await make_user()
    await fire(events_specs.event_published, event=make_event(45, author_id=user.id), moderator_id=None)
    await deliver_due(run_jobs)
    assert len(Gateway.sent) == 1 and recorder.messages == []
