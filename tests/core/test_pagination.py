"""The one cursor codec: round trips, and every way a cursor can be wrong is 400 ``invalid_cursor``, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core import settings as core_settings
from core.pagination import InvalidCursor, decode_cursor, encode_cursor, paginate

MOMENT = datetime(2026, 11, 26, 12, 30, tzinfo=UTC)


def test_a_cursor_round_trips_its_typed_values() -> None:
    cursor = encode_cursor(MOMENT, 42, scope="events.mine")
    assert decode_cursor(cursor, datetime, int, scope="events.mine") == (MOMENT, 42)


@pytest.mark.parametrize("mangle", [
    lambda c: c[:-1] + ("A" if c[-1] != "A" else "B"),  # tag edited
    lambda c: c.replace("v1.", "v2.", 1),  # another version
    lambda c: c.split(".")[0] + "." + c.split(".")[1][:-2] + "." + c.split(".")[2],  # payload truncated
    lambda c: c + "é",  # not base64url (hmac.compare_digest refuses non-ASCII str: must not be a TypeError)
    lambda c: "v1.é.é",
    lambda c: "",
    lambda c: "...",
    lambda c: "v1." + "A" * 3000 + ".AAAA",  # too long
])
def test_a_wrong_cursor_is_invalid(mangle) -> None:
    cursor = encode_cursor(MOMENT, 42, scope="events.mine")
    with pytest.raises(InvalidCursor) as caught:
        decode_cursor(mangle(cursor), datetime, int, scope="events.mine")
    assert caught.value.status == 400 and caught.value.code == "invalid_cursor"


def test_a_cursor_of_another_list_or_with_other_types_is_invalid() -> None:
    cursor = encode_cursor(MOMENT, 42, scope="events.mine")
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, datetime, int, scope="events.joined")
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, int, int, scope="events.mine")


def test_cursors_survive_a_key_rotation_while_the_old_key_is_configured(monkeypatch) -> None:
    auth = core_settings.get_settings().auth
    monkeypatch.setattr(auth, "jwt_keys", {"k1": "old-secret"})
    monkeypatch.setattr(auth, "jwt_current_kid", "k1")
    old = encode_cursor(7, scope="x")
    monkeypatch.setattr(auth, "jwt_keys", {"k1": "old-secret", "k2": "new-secret"})
    monkeypatch.setattr(auth, "jwt_current_kid", "k2")
    assert decode_cursor(old, int, scope="x") == (7,)
    assert encode_cursor(7, scope="x") != old  # new cursors are signed with the new key
    monkeypatch.setattr(auth, "jwt_keys", {"k2": "new-secret"})
    with pytest.raises(InvalidCursor):
        decode_cursor(old, int, scope="x")  # its key retired


def test_paginate_cuts_one_page_and_points_at_the_last_row() -> None:
    rows = [{"id": i} for i in range(1, 5)]
    items, nxt = paginate(rows, 3, key=lambda r: (r["id"],), scope="s")
    assert items == rows[:3] and nxt is not None and decode_cursor(nxt, int, scope="s") == (3,)
    assert paginate(rows[:3], 3, key=lambda r: (r["id"],), scope="s") == (rows[:3], None)
    assert paginate([], 3, key=lambda r: (r["id"],), scope="s") == ([], None)


async def test_a_non_ascii_cursor_is_a_400_on_the_api(make_client) -> None:
    client = await make_client(["hello"])
    r = await client.get("/api/v1/hello/greetings", params={"cursor": "v1.a.é"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_cursor"
