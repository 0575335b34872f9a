"""A ban ends the user's sessions through auth's ``user_banned`` hook; refused bans touch nothing."""

from __future__ import annotations

import pytest

from core import hooks
from core.auth import services
from core.auth.tables import Session
from core.errors import Conflict, NotFound
from core.hooks import hookspecs
from core.users import services as users


async def _sessions(user_id: int) -> list[dict[str, object]]:
    return await Session.select(Session.revoked_at, Session.revoke_reason).where(Session.user == user_id)


async def test_ban_ends_every_session_of_that_user_only(make_user) -> None:
    # Given a user with two devices and a moderator with one
    mod = await make_user(roles=["moderator"])
    user = await make_user()
    await services.start_session(user.id, "phone")
    await services.start_session(user.id, "laptop")
    await services.start_session(mod.id, "desk")
    # When the moderator bans the user
    await users.ban_user(user.id, "spam", mod.id)
    # Then both of the user's sessions end with the reason "banned", and the moderator's stays
    rows = await _sessions(user.id)
    assert len(rows) == 2 and all(r["revoked_at"] is not None and r["revoke_reason"] == "banned" for r in rows)
    assert await services.list_sessions(user.id) == []
    assert len(await services.list_sessions(mod.id)) == 1


async def test_auths_user_banned_implementation_revokes_the_sessions(make_user) -> None:
    user = await make_user()
    await services.start_session(user.id)
    await hooks.notify(hookspecs.user_banned, user_id=user.id, reason="spam", actor_id=None)
    assert [r["revoke_reason"] for r in await _sessions(user.id)] == ["banned"]


@pytest.mark.parametrize("case", ["self", "deleted", "unknown"])
async def test_refused_bans_leave_sessions_alone(make_user, case: str) -> None:
    mod = await make_user(roles=["moderator"])
    user = await make_user()
    await services.start_session(user.id)
    await services.start_session(mod.id)
    if case == "self":
        with pytest.raises(Conflict) as err:
            await users.ban_user(mod.id, "oops", mod.id)
        assert err.value.code == "ban_self"
    elif case == "deleted":
        await users.anonymise(user.id)
        with pytest.raises(Conflict) as err:
            await users.ban_user(user.id, "spam", mod.id)
        assert err.value.code == "account_deleted"
    else:
        with pytest.raises(NotFound) as missing:
            await users.ban_user(999_999_999, "spam", mod.id)
        assert missing.value.code == "user_not_found"
    assert all(r["revoked_at"] is None for r in [*await _sessions(user.id), *await _sessions(mod.id)])
