"""The agent's conversation page on the real-time channel: its access token, the token's renewal, the script."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest

from core.auth.guards import check_access_token
from core.errors import NotAuthenticated
from plugins.support import live
from tests.core.realtime_support import client, serve
from tests.plugins.support.conftest import AGENT_ROLE, PLUGINS

pytestmark = pytest.mark.asyncio(loop_scope="session")
INBOX = "/admin/p/support/tickets"
TALK = "/admin/p/support/conversation"
RENEW = f"{INBOX}/actions/live_token"


def data_of(page: str, name: str) -> str:
    found = re.search(rf'data-{name}="([^"]*)"', page)
    assert found, f"no data-{name} in the page"
    return html.unescape(found.group(1))


async def renewed(panel: Any, ticket_id: object) -> tuple[str, int]:
    """Renew like the page's script: POST the action (session + CSRF), follow to the one-time grant page."""
    r = await panel.post(RENEW, data={"_csrf": panel.csrf, "id": ticket_id})
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/p/support/live?grant="), r.text
    page = await panel.get(r.headers["location"])
    assert page.status_code == 200, page.text
    return data_of(page.text, "token"), int(data_of(page.text, "expires-in"))


async def test_the_agents_page_is_live_on_the_real_time_channel(admin_client: Any, api: Any, person: Any,
                                                                open_ticket: Any, make_app: Any, clock: Any) -> None:
    ada = await person(display_name="Ada Lovelace")
    ticket = await open_ticket(ada, subject="Locked out", body="My code does not work")
    async with serve(make_app(PLUGINS)) as url:
        panel = await admin_client(roles=[AGENT_ROLE], plugins=PLUGINS)
        page = await panel.get(f"{TALK}?ticket={ticket['id']}")
        assert page.status_code == 200
        assert '<script src="/support/static/live.js" defer>' in page.text and 'hx-trigger="every 5s' in page.text
        assert data_of(page.text, "typing-text") == "Ada Lovelace is typing…"
        token, expires_in = data_of(page.text, "token"), int(data_of(page.text, "expires-in"))
        assert 290 <= expires_in <= live.TOKEN_TTL_S == 300  # 5 min, shorter than an app's 15
        script = await panel.get("/support/static/live.js")
        assert script.status_code == 200 and "support.ticket:" in script.text

        # The token is the signed-in agent's, on a session of its own: the channel takes it, rooms let them in.
        async with client(url, token) as ws:
            await ws.send(type="subscribe", room=f"support.ticket:{ticket['id']}")
            await ws.expect("subscribed")
            await ws.send(type="subscribe", room=f"support.notes:{ticket['id']}")
            await ws.expect("subscribed")
            r = await api.post(f"/api/v1/support/tickets/{ticket['id']}/typing", headers=ada.headers)
            assert r.status_code == 204
            frame = await ws.expect("message", room=f"support.ticket:{ticket['id']}")
            assert frame["data"]["event"] == "typing" and frame["data"]["from_agent"] is False
            r = await api.post(f"/api/v1/support/tickets/{ticket['id']}/messages", json={"body": "Still locked"},
                               headers=ada.headers)
            assert r.status_code == 201, r.text
            frame = await ws.expect("message", room=f"support.ticket:{ticket['id']}")
            assert frame["data"]["message"]["body"] == "Still locked"
            # the agent's typing goes through the desk API with the same token
            typed = await api.post(f"/api/v1/support/desk/tickets/{ticket['id']}/typing",
                                   headers={"Authorization": f"Bearer {token}"})
            assert typed.status_code == 204
            frame = await ws.expect("message")
            assert frame["data"]["event"] == "typing" and frame["data"]["from_agent"] is True

            # Renewed before it expires: the connection takes the new token; past the old one's end, it is refused.
            fresh, _ = await renewed(panel, ticket["id"])
            assert (await check_access_token(fresh)).user_id == panel.user.id
            await ws.send(type="auth", token=fresh)
            await ws.expect("ready", user_id=panel.user.id)
            clock.advance(timedelta(seconds=expires_in + 1))
            with pytest.raises(NotAuthenticated) as refused:
                await check_access_token(token)
            assert refused.value.code == "token_expired"
        async with client(url) as ws:
            await ws.send(type="auth", token=token)
            assert await ws.closed() == (4401, "token_expired")


async def test_the_renewal_needs_the_panel_session_csrf_and_the_permission(admin_client: Any, person: Any,
                                                                           open_ticket: Any) -> None:
    ticket = await open_ticket(await person())
    panel = await admin_client(roles=[AGENT_ROLE], plugins=PLUGINS)
    token, _ = await renewed(panel, ticket["id"])
    assert (await check_access_token(token)).user_id == panel.user.id
    # the grant is read once, by the agent who asked for it
    r = await panel.post(RENEW, data={"_csrf": panel.csrf, "id": ticket["id"]})
    grant = r.headers["location"]
    assert (await panel.get(grant)).status_code == 200
    assert (await panel.get(grant)).status_code == 404
    assert (await panel.get("/admin/p/support/live?grant=made-up")).status_code == 404
    # no CSRF token, or another one: refused, nothing minted
    for form in ({"id": ticket["id"]}, {"_csrf": "forged", "id": ticket["id"]}):
        r = await panel.post(RENEW, data=form)
        assert r.status_code == 403 and "csrf" not in r.headers.get("location", ""), r.text
    # the button is nowhere on the panel's pages
    assert "Renew the live connection" not in (await panel.get(f"{INBOX}/o/{ticket['id']}")).text
    assert "live_token" not in (await panel.get(INBOX)).text
    # a revoked panel session ("log out everywhere") gets a new one on renewal
    from core.auth.services import revoke_all_sessions

    await revoke_all_sessions(panel.user.id)
    with pytest.raises(NotAuthenticated):
        await check_access_token(token)
    again, _ = await renewed(panel, ticket["id"])
    assert (await check_access_token(again)).user_id == panel.user.id
    assert (await check_access_token((await live.token_for(panel.user.id)).token)).user_id == panel.user.id
    # without a panel session: to the sign-in page; staff without support.answer: 403
    panel.cookies.clear()
    r = await panel.post(RENEW, data={"_csrf": panel.csrf, "id": ticket["id"]})
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login")
    moderator = await admin_client(roles=["moderator"], plugins=PLUGINS)
    r = await moderator.post(RENEW, data={"_csrf": moderator.csrf, "id": ticket["id"]})
    assert r.status_code == 403
