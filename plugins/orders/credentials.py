"""Venues' POS credentials, encrypted at rest (Fernet) and never shown: written by staff, read only by jobs.

Why a table and not plugin settings: each venue picks its adapter and credentials in the admin panel while the
platform runs (settings are one per deployment, in plugins.toml); why encrypted: a database dump or a replica must
not leak the keys to a café's till. The keys come from ``orders.credentials_keys`` (comma-separated Fernet keys; the
first encrypts, every one decrypts, so a rotation adds a key in front and re-encrypts with :func:`reencrypt_all`),
else from core's JWT keys (development).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import msgspec
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from core import clock
from core.errors import ConfigError
from core.hooks import plugin_settings
from core.settings import get_settings
from plugins.orders import OrdersSettings
from plugins.orders.tables import VenuePos


def _fernet() -> MultiFernet:
    configured = [k.strip() for k in plugin_settings(OrdersSettings).credentials_keys.split(",") if k.strip()]
    if configured:
        try:
            return MultiFernet([Fernet(k.encode()) for k in configured])
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"plugin 'orders': credentials_keys: not Fernet keys ({exc})") from exc
    auth = get_settings().auth
    kids = [auth.jwt_current_kid, *sorted(k for k in auth.jwt_keys if k != auth.jwt_current_kid)]
    secrets = [auth.jwt_keys[k] for k in kids if auth.jwt_keys.get(k)]
    if not secrets:
        raise ConfigError("plugin 'orders': no credentials_keys and no JWT keys to derive them from")
    return MultiFernet([Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"sbor-orders-credentials\0" + s.encode())
                                                        .digest())) for s in secrets])


def encrypt(value: str) -> str:
    """A Fernet token of ``value`` ("" stays "": no credential)."""
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(token: str) -> str:
    """The value of a token made by :func:`encrypt`; a token no configured key opens is a configuration error."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ConfigError("plugin 'orders': a venue's POS credentials cannot be decrypted with the configured "
                          "keys (credentials_keys changed without keeping the old key)") from None


def encrypt_list(values: list[str]) -> str:
    """Encrypt a list of secrets (outgoing webhook signing secrets)."""
    return encrypt(msgspec.json.encode(values).decode()) if values else ""


def decrypt_list(token: str) -> list[str]:
    """The list encrypted by :func:`encrypt_list`."""
    raw = decrypt(token)
    return msgspec.json.decode(raw, type=list[str]) if raw else []


async def reencrypt_all() -> int:
    """Re-encrypt every venue's credentials with the first key (after adding a new one); returns the venues done."""
    rows: list[dict[str, Any]] = await VenuePos.select(
        VenuePos.id, VenuePos.secret_enc, VenuePos.webhook_secret_enc, VenuePos.outgoing_secrets_enc)
    fernet = _fernet()
    for r in rows:
        values = {col: fernet.rotate(r[col].encode()).decode() if r[col] else ""
                  for col in ("secret_enc", "webhook_secret_enc", "outgoing_secrets_enc")}
        await VenuePos.update({VenuePos.secret_enc: values["secret_enc"],
                               VenuePos.webhook_secret_enc: values["webhook_secret_enc"],
                               VenuePos.outgoing_secrets_enc: values["outgoing_secrets_enc"],
                               VenuePos.updated_at: clock.now()}).where(VenuePos.id == r["id"])
    return len(rows)
