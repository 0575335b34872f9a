"""Standard Webhooks (standardwebhooks.com): sign our outgoing webhooks, verify incoming ones, in constant time.

``webhook-id`` (unique per message, the same on every retry), ``webhook-timestamp`` (Unix seconds) and
``webhook-signature`` (space-separated ``v1,<base64 HMAC-SHA256>`` of ``"{id}.{timestamp}.{body}"``, one per
active secret, so a receiver holding either the old or the new secret accepts the message during a rotation).
Secrets are ``whsec_`` + base64 of 24 to 64 random bytes. (The PyPI ``standardwebhooks`` package is not available
here; this follows the specification and its published test vector, checked in the tests.)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence

PREFIX = "whsec_"


class SignatureError(Exception):
    """A webhook whose headers are missing, whose timestamp is out of tolerance, or whose signature is wrong."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def new_secret() -> str:
    """A fresh signing secret (``whsec_…``)."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    raw = secret.removeprefix(PREFIX)
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return raw.encode()  # a plain shared string, as some vendors configure it


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``v1,<base64>`` signature of one message under one secret."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode()


def sign(secrets_: Sequence[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers of a message signed with every secret in ``secrets_`` (the newest first)."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(s, message_id, timestamp, body) for s in secrets_),
    }


def verify(secrets_: Sequence[str], headers: Mapping[str, str], body: bytes, *, now: float,
           tolerance_s: int = 300) -> tuple[str, int]:
    """Check a signed message; return its ``(webhook-id, timestamp)`` or raise :class:`SignatureError`.

    ``headers`` have lower-case names. Every candidate signature is compared with ``hmac.compare_digest`` over the
    raw body (no parsing before the check); the timestamp must be within ``tolerance_s`` of ``now``.
    """
    message_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    given = headers.get("webhook-signature", "")
    if not message_id or not stamp or not given:
        raise SignatureError("webhook-id, webhook-timestamp and webhook-signature are required", "signature_missing")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise SignatureError("webhook-timestamp is not a Unix time", "timestamp_invalid") from None
    if abs(now - timestamp) > tolerance_s:
        raise SignatureError("webhook-timestamp is outside the tolerance", "timestamp_out_of_tolerance")
    ok = False
    candidates = [part for part in given.split(" ") if part.startswith("v1,")]
    for secret in secrets_:
        expected = signature(secret, message_id, timestamp, body).encode()
        for candidate in candidates:
            ok |= hmac.compare_digest(expected, candidate.encode())  # no early exit: same work either way
    if not ok:
        raise SignatureError("no valid signature", "signature_invalid")
    return message_id, timestamp
