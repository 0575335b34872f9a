"""Changing my email or phone: the new address must be proven with a code; taken addresses are refused."""

from __future__ import annotations

import httpx

from core.users.tables import User
from tests.core.auth.support import login


async def test_change_email(login_client, make_user, codes) -> None:
    client = await login_client(email="old@example.org", password="tangerine-horse-42", device_id="device-0001-test")
    await make_user(email="taken@example.org")
    r = await client.post("/api/v1/me/contact", json={"email": "Taken@example.org"})
    assert r.status_code == 409 and r.json()["code"] == "account_exists"
    r = await client.post("/api/v1/me/contact", json={"email": "bad"})
    assert r.status_code == 422
    r = await client.post("/api/v1/me/contact", json={"email": "a@example.org", "phone": "+447911123456"})
    assert r.status_code == 422
    r = await client.post("/api/v1/me/contact", json={"email": "new@example.org"})
    assert r.status_code == 202 and r.json()["destination"] == "n***@example.org"
    assert (await User.select(User.email).where(User.id == client.user.id).first())["email"] == "old@example.org"
    wrong = "000000" if codes.last("change") != "000000" else "111111"
    assert (await client.post("/api/v1/me/contact/confirm", json={"code": wrong})).status_code == 422
    r = await client.post("/api/v1/me/contact/confirm", json={"code": codes.last("change")})
    assert r.status_code == 204, r.text
    assert (await client.get("/api/v1/me")).json()["email"] == "new@example.org"
    async with httpx.AsyncClient(transport=client._transport, base_url=client.base_url) as anon:
        assert (await login(anon, "new@example.org")).status_code == 200
        assert (await login(anon, "old@example.org")).status_code == 401
    r = await client.post("/api/v1/me/contact/confirm", json={"code": codes.last("change")})
    assert r.status_code == 422


async def test_change_phone_and_someone_elses_code_does_not_work(login_client, codes) -> None:
    alice = await login_client()
    bob = await login_client()
    r = await alice.post("/api/v1/me/contact", json={"phone": "+33 6 12 34 56 78"})
    assert r.status_code == 202 and r.json()["channel"] == "sms"
    await bob.post("/api/v1/me/contact", json={"phone": "+49 1512 3456789"})
    alice_code = codes.all("change")[0][2]
    bob_code = codes.all("change")[1][2]
    if alice_code != bob_code:
        assert (await bob.post("/api/v1/me/contact/confirm", json={"code": alice_code})).status_code == 422
    assert (await alice.post("/api/v1/me/contact/confirm", json={"code": alice_code})).status_code == 204
    assert (await alice.get("/api/v1/me")).json()["phone"] == "+33612345678"
