"""Lists: one opaque, versioned, signed cursor codec and one typed page; a bad or tampered cursor is 400.

Every list in Sbor is keyset-paginated the same way::

    # services.py: fetch one row more than asked, then cut
    rows = await Event.select(...).where(Event.id > after).order_by(Event.id).limit(limit + 1)
    return paginate(rows, limit, key=lambda r: (r["id"],), scope="events.mine")

    # routes.py: the one limit type (1..200, a default per endpoint) and the typed page, documented in OpenAPI
    async def list_mine(self, cursor: FromQuery[str | None] = None, limit: Limit = 20) -> Page[EventRead]: ...

A cursor is ``v1.<payload>.<tag>``: the payload is the URL-safe base64 of the JSON list of the last row's sort keys,
the tag an HMAC of the version, scope and payload under a key derived from the server's secret. A cursor from another
list (another ``scope``), an older format, a hand-edited or a truncated one is rejected with
``BadRequest(code="invalid_cursor")``: 400 in the API, an HTML message in the admin panel.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, Generic, TypeVar, overload

import msgspec

from core.errors import BadRequest, ConfigError
from core.settings import get_settings

T = TypeVar("T")
R = TypeVar("R")
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")

VERSION = "v1"
MAX_LIMIT = 200
"""The largest page any list serves; routes take :data:`core.http.params.Limit` (1..200)."""
_TAG_BYTES = 12


class Page(msgspec.Struct, Generic[T]):
    """One page of a list: the items and the cursor of the next page (``None`` on the last page).

    Litestar documents ``Page[EventRead]`` in OpenAPI with the item schema (component ``Page[EventRead]``).
    """

    items: list[T]
    next_cursor: str | None = None


class InvalidCursor(BadRequest):
    """The cursor is not one this list gave out (tampered, truncated, from another list, or outdated)."""

    code = "invalid_cursor"
    title = "Invalid cursor"


_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


@lru_cache(maxsize=8)
def _key(secret: str) -> bytes:
    if not secret:
        raise ConfigError("settings: auth.jwt_keys is empty; cursors cannot be signed")
    return hashlib.sha256(b"sbor-cursor\0" + secret.encode()).digest()


def _keys() -> list[bytes]:
    """The signing key (from the current JWT key) first, then the other configured ones.

    A key rotation keeps the cursors already handed out valid for as long as their key stays configured.
    """
    auth = get_settings().auth
    kids = [auth.jwt_current_kid, *sorted(k for k in auth.jwt_keys if k != auth.jwt_current_kid)]
    return [_key(auth.jwt_keys.get(kid, "")) for kid in kids]


def _tag(key: bytes, scope: str, payload: str) -> bytes:
    mac = hmac.new(key, f"{VERSION}.{scope}.{payload}".encode(), hashlib.sha256).digest()[:_TAG_BYTES]
    return base64.urlsafe_b64encode(mac).rstrip(b"=")


def encode_cursor(*values: Any, scope: str) -> str:
    """Encode the sort keys of the last row of a page (ints, strings, floats, aware datetimes, UUIDs)."""
    payload = base64.urlsafe_b64encode(msgspec.json.encode(list(values))).rstrip(b"=").decode()
    return f"{VERSION}.{payload}.{_tag(_keys()[0], scope, payload).decode()}"


@overload
def decode_cursor(cursor: str, t1: type[A], /, *, scope: str) -> tuple[A]: ...
@overload
def decode_cursor(cursor: str, t1: type[A], t2: type[B], /, *, scope: str) -> tuple[A, B]: ...
@overload
def decode_cursor(cursor: str, t1: type[A], t2: type[B], t3: type[C], /, *, scope: str) -> tuple[A, B, C]: ...
def decode_cursor(cursor: str, *types: type[Any], scope: str) -> tuple[Any, ...]:
    """Decode a cursor made by :func:`encode_cursor` for the same ``scope``, checking each value's type.

    Raises :class:`InvalidCursor` (400 ``invalid_cursor``) for anything else.
    """
    version, _, rest = cursor.partition(".")
    payload, _, tag = rest.partition(".")
    if version != VERSION or len(cursor) > 2048 or not _BASE64URL.fullmatch(payload) or not _BASE64URL.fullmatch(tag):
        raise InvalidCursor("The cursor is not one this list gave out")
    if not any(hmac.compare_digest(tag.encode(), _tag(key, scope, payload)) for key in _keys()):
        raise InvalidCursor("The cursor is not one this list gave out")
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        values: tuple[Any, ...] = msgspec.json.decode(raw, type=tuple[types])  # type: ignore[valid-type]
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        raise InvalidCursor("The cursor is not one this list gave out") from None
    return values


def paginate(
    rows: Sequence[R], limit: int, *, key: Callable[[R], Sequence[Any]], scope: str
) -> tuple[list[R], str | None]:
    """Cut ``rows`` (fetched with ``limit + 1``) to one page; return it with the next page's cursor, if any."""
    items = list(rows[:limit])
    more = len(rows) > limit and bool(items)
    return items, (encode_cursor(*key(items[-1]), scope=scope) if more else None)


def page_of(rows: Sequence[R], limit: int, *, key: Callable[[R], Sequence[Any]], scope: str,
            item: Callable[[R], T]) -> Page[T]:
    """Like :func:`paginate`, converting each row to the page's item type (``item=EventRead.from_row``)."""
    items, nxt = paginate(rows, limit, key=key, scope=scope)
    return Page(items=[item(r) for r in items], next_cursor=nxt)
