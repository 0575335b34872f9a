"""Privacy: ``can_see`` for each aspect and audience, public profiles, contact data for notify."""

from __future__ import annotations

import pytest

from core.users import profiles, services
from core.users.tables import User
from tests.core.auth.support import client_with
from tests.core.users import shareplugin


@pytest.fixture
def share():
    shareplugin.pairs.clear()
    shareplugin.erased.clear()
    shareplugin.refuse.clear()
    yield shareplugin
    shareplugin.pairs.clear()


async def _set(user_id: int, **privacy: str) -> None:
    await User.update({User.privacy: {**services.DEFAULT_PRIVACY, **privacy}}).where(User.id == user_id)
    await profiles.profile_changed(user_id)  # as update_me does: the cached public profile goes stale


async def test_can_see_matrix_without_share_plugin(make_user) -> None:
    owner, viewer = await make_user(), await make_user()
    # Defaults: profile everyone, participation and contact "shared" (nothing answers → not shared)
    assert await services.can_see(viewer.id, owner.id, "profile") is True
    assert await services.can_see(None, owner.id, "profile") is True
    assert await services.can_see(viewer.id, owner.id, "participation") is False
    assert await services.can_see(viewer.id, owner.id, "contact") is False
    assert await services.can_see(owner.id, owner.id, "contact") is True  # always myself
    await _set(owner.id, profile="nobody", contact="everyone")
    assert await services.can_see(viewer.id, owner.id, "profile") is False
    assert await services.can_see(viewer.id, owner.id, "contact") is True
    assert await services.can_see(None, owner.id, "contact") is False  # anonymous people contact nobody
    with pytest.raises(ValueError):
        await services.can_see(viewer.id, owner.id, "secrets")
    assert await services.can_see(viewer.id, 999_999, "profile") is False


async def test_shared_audience_asks_the_hook(make_user, share, sbor_database) -> None:
    owner, friend, stranger = await make_user(), await make_user(), await make_user()
    share.pairs.add(frozenset((owner.id, friend.id)))
    await _set(owner.id, profile="shared", participation="shared", contact="shared")
    async with client_with({"sharetest": share}) as client:
        assert await services.can_see(friend.id, owner.id, "participation") is True
        assert await services.can_see(stranger.id, owner.id, "participation") is False
        assert await services.can_see(None, owner.id, "profile") is False
        from core.auth.services import open_session

        _, tok = await open_session(friend.id)
        r = await client.get(f"/api/v1/users/{owner.id}/profile", headers={"Authorization": f"Bearer {tok}"})
        assert r.status_code == 200
        _, tok = await open_session(stranger.id)
        r = await client.get(f"/api/v1/users/{owner.id}/profile", headers={"Authorization": f"Bearer {tok}"})
        assert r.status_code == 404


async def test_public_profile_route(make_client, make_user, auth_headers) -> None:
    client = await make_client([])
    owner = await make_user(display_name="Olga")
    await User.update({User.bio: "Climber", User.email: "olga@example.org"}).where(User.id == owner.id)
    r = await client.get(f"/api/v1/users/{owner.id}/profile")
    assert r.status_code == 200
    body = r.json()
    assert body["display_name"] == "Olga" and body["bio"] == "Climber"
    assert "email" not in body and "phone" not in body
    await _set(owner.id, profile="nobody")
    assert (await client.get(f"/api/v1/users/{owner.id}/profile")).status_code == 404
    assert (await client.get(f"/api/v1/users/{owner.id}/profile", headers=await auth_headers(owner))).status_code == 200
    assert (await client.get("/api/v1/users/424242/profile")).status_code == 404
    assert (await client.get("/api/v1/users/abc/profile")).status_code in (400, 404)


async def test_banned_users_profile_is_hidden(make_user) -> None:
    owner, viewer, mod = await make_user(), await make_user(), await make_user(roles=["moderator"])
    await services.ban_user(owner.id, "spam", mod.id)
    assert await services.can_see(viewer.id, owner.id, "profile") is False


async def test_get_contact(make_user) -> None:
    user = await make_user(email="c@example.org", phone="+447911123456", display_name="Cleo")
    await User.update({User.language: "de", User.timezone: "Europe/Berlin"}).where(User.id == user.id)
    contact = await services.get_contact(user.id)
    assert contact == services.Contact(user.id, "c@example.org", "+447911123456", "Cleo", "de", "Europe/Berlin")
    from core.errors import NotFound

    with pytest.raises(NotFound):
        await services.get_contact(999_999)


async def test_get_contacts_in_bulk(make_user) -> None:
    a = await make_user(email="a@example.org", display_name="A")
    b = await make_user(email="b@example.org", display_name="B")
    found = await services.get_contacts([a.id, b.id, a.id, 999_999])
    assert set(found) == {a.id, b.id}
    assert found[b.id].email == "b@example.org" and found[a.id].display_name == "A"
    assert await services.get_contacts([]) == {}
