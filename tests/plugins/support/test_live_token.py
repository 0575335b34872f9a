"""The panel's live token lives 5 minutes, not an app's 15: core.auth issues shorter access tokens on request."""

from __future__ import annotations

import uuid
from typing import Any

import jwt
import pytest

from core import clock
from core.auth.tokens import decode_access_token, issue_access_token
from core.settings import get_settings
from plugins.support import live


def _life(token: str) -> int:
    claims = jwt.decode(token, options={"verify_signature": False})
    return int(claims["exp"]) - int(claims["iat"])


async def test_the_live_token_expires_in_five_minutes(sbor_database: Any, make_user: Any) -> None:
    # Given an agent, and auth's default access lifetime of 15 minutes
    agent = await make_user()
    assert get_settings().auth.access_ttl_s == 900

    # When the panel mints the agent's live token (and renews it)
    for fresh in (False, True):
        got = await live.token_for(agent.id, fresh=fresh)

        # Then it expires about 5 minutes from now, and says so
        assert _life(got.token) == live.TOKEN_TTL_S == 300
        assert 295 <= decode_access_token(got.token).expires_at - clock.timestamp() <= 300
        assert 295 <= got.expires_in <= 300


def test_a_shorter_lifetime_is_honoured_and_a_longer_one_capped(sbor_database: Any) -> None:
    sid = uuid.uuid4()
    assert _life(issue_access_token(1, sid)) == 900
    assert _life(issue_access_token(1, sid, ttl_s=60)) == 60
    assert _life(issue_access_token(1, sid, ttl_s=86_400)) == 900  # never past auth's own lifetime
    with pytest.raises(ValueError):
        issue_access_token(1, sid, ttl_s=0)
