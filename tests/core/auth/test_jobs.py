"""Housekeeping: old codes and long-ended sessions are deleted through the real job queue; live ones stay."""

from __future__ import annotations

from datetime import timedelta

from core.auth import services
from core.auth.jobs import cleanup
from core.auth.tables import RefreshToken, Session, VerificationCode


async def test_cleanup_job(make_client, make_user, run_jobs, clock, codes) -> None:
    client = await make_client([])
    user = await make_user()
    clock.freeze()
    old = await services.start_session(user.id, "old")
    await services.revoke_session(user.id, old.session_id)
    await client.post("/api/v1/auth/password/forgot", json={"identifier": "nobody@example.org"})
    from core.auth import codes as code_service

    await code_service.issue(user.id, "reset", "u@example.org", None)
    clock.advance(timedelta(days=31))
    live = await services.start_session(user.id, "live")
    await cleanup.enqueue()
    assert await run_jobs() == 1
    assert await Session.count().where(Session.id == old.session_id) == 0
    assert await RefreshToken.count().where(RefreshToken.session == old.session_id) == 0
    assert await VerificationCode.count() == 0
    assert await Session.count().where(Session.id == live.session_id) == 1
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": live.refresh_token})
    assert r.status_code == 200
    assert await cleanup() == {"codes": 0, "sessions": 0, "tokens": 0}  # idempotent: nothing left to do
