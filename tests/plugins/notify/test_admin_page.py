"""The delivery log page and widget in the admin panel are guarded by ``notify.view`` (run with admin enabled)."""

from __future__ import annotations

import pytest

from core.hooks.manager import discover
from tests.admin_ui.conftest import NO_TOTP, set_password, sign_in

pytestmark = pytest.mark.skipif("admin" not in discover(),
                                reason="the admin panel plugin is not enabled (SBOR_TEST_PLUGINS=admin,events,notify)")

PLUGINS = ["admin", "events", "notify"]


@pytest.fixture
def staff_client(make_client, make_user):
    """``client, user = await staff_client(["support"])``: a panel client signed in as a new user with those roles."""

    async def factory(roles: list[str]):
        user = await make_user(roles=roles, email=f"staff{len(roles)}-{'-'.join(roles)}@example.org")
        await set_password(user.id)
        client = await make_client(PLUGINS, settings=NO_TOTP)
        r = await sign_in(client, f"staff{len(roles)}-{'-'.join(roles)}@example.org")
        assert r.status_code == 303, r.text
        return client, user

    return factory


@pytest.mark.parametrize(("roles", "sees"), [(["admin"], True), (["support"], True), (["moderator"], False)])
async def test_delivery_log_needs_notify_view(staff_client, roles: list[str], sees: bool) -> None:
    client, _ = await staff_client(roles)
    r = await client.get("/admin/p/notify/deliveries")
    assert r.status_code == (200 if sees else 403), r.text
    home = await client.get("/admin/")
    assert home.status_code == 200
    assert ('href="/admin/p/notify/deliveries"' in home.text) is sees
    assert ("Waiting to be sent" in home.text) is sees  # the dashboard widget


async def test_users_view_alone_does_not_open_the_delivery_log(staff_client, make_user) -> None:
    from core.users.services import create_role

    await create_role("people", "Sees users only", ["admin.access", "users.view"], actor_id=None)
    client, _ = await staff_client(["people"])
    assert (await client.get("/admin/users")).status_code == 200
    assert (await client.get("/admin/p/notify/deliveries")).status_code == 403
