"""The users lists (my referrals, staff's accounts) on core.pagination: chained pages, limits, bad cursors."""

from __future__ import annotations

import base64
from typing import Any

from core.users.tables import User


def tampered(cursor: str) -> str:
    """The same cursor with one character of its payload changed (the signature no longer matches)."""
    version, payload, tag = cursor.split(".")
    payload = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    return f"{version}.{payload}.{tag}"


async def all_pages(client: Any, url: str, limit: int, **params: Any) -> list[list[dict[str, Any]]]:
    """Follow ``next_cursor`` from the first page to the last; every page is 200."""
    pages, cursor = [], None
    while True:
        r = await client.get(url, params={"limit": limit, **params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        pages.append(r.json()["items"])
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50, "pages never end"


async def invite(referrer_id: int, make_user: Any, n: int) -> list[Any]:
    """``n`` users who registered with the referrer's code, oldest first."""
    invited = [await make_user(display_name=f"Friend {i}") for i in range(n)]
    await User.update({User.referred_by: referrer_id}).where(User.id.is_in([u.id for u in invited]))
    return invited


async def test_referral_pages_chain_to_the_end(login_client, make_user) -> None:
    client = await login_client()
    invited = await invite(client.user.id, make_user, 5)
    pages = await all_pages(client, "/api/v1/me/referrals", 2)
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [i["id"] for p in pages for i in p] == [u.id for u in reversed(invited)]
    # An exact multiple of the limit ends without an empty page
    assert [len(p) for p in await all_pages(client, "/api/v1/me/referrals", 5)] == [5]


async def test_account_pages_chain_to_the_end_with_the_search_kept(login_client, make_user) -> None:
    client = await login_client(roles=["support"])
    members = [await make_user(display_name=f"Member {i}") for i in range(7)]
    await make_user(display_name="Someone else")
    pages = await all_pages(client, "/api/v1/users", 3, q="member")
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [u["id"] for p in pages for u in p] == [u.id for u in reversed(members)]


async def test_limit_out_of_range_is_400(login_client) -> None:
    client = await login_client(roles=["support"])
    for url in ("/api/v1/me/referrals", "/api/v1/users"):
        for bad in (0, 201, -1, "ten"):
            r = await client.get(url, params={"limit": bad})
            assert r.status_code == 400, (url, bad, r.text)
            assert r.json()["code"] == "invalid_parameter"
        assert (await client.get(url, params={"limit": 200})).status_code == 200


async def test_a_cursor_from_another_list_is_invalid(login_client, make_user) -> None:
    client = await login_client(roles=["support"])
    await invite(client.user.id, make_user, 3)
    referrals_cursor = (await client.get("/api/v1/me/referrals", params={"limit": 1})).json()["next_cursor"]
    accounts_cursor = (await client.get("/api/v1/users", params={"limit": 1})).json()["next_cursor"]
    assert referrals_cursor and accounts_cursor
    for url, cursor in (("/api/v1/users", referrals_cursor), ("/api/v1/me/referrals", accounts_cursor)):
        r = await client.get(url, params={"cursor": cursor})
        assert r.status_code == 400 and r.json()["code"] == "invalid_cursor", (url, r.text)


async def test_tampered_truncated_or_old_cursors_are_invalid(login_client, make_user) -> None:
    client = await login_client(roles=["support"])
    invited = await invite(client.user.id, make_user, 3)
    for url in ("/api/v1/me/referrals", "/api/v1/users"):
        good = (await client.get(url, params={"limit": 1})).json()["next_cursor"]
        old_format = base64.urlsafe_b64encode(f"r:{invited[-1].id}".encode()).decode().rstrip("=")
        for bad in (tampered(good), good[:-3], good + "x", old_format, "!!!", "v1..", "v2" + good[2:]):
            r = await client.get(url, params={"cursor": bad})
            assert r.status_code == 400, (url, bad, r.text)
            assert r.json()["code"] == "invalid_cursor", (url, bad, r.text)
        assert (await client.get(url, params={"cursor": good})).status_code == 200


def page_schema(schema: dict[str, Any], path: str) -> dict[str, Any]:
    """The component a GET operation's 200 response refers to."""
    ref = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]  # type: ignore[no-any-return]


async def test_openapi_documents_the_typed_pages(make_client) -> None:
    client = await make_client([])
    schema = (await client.get("/schema/openapi.json")).json()
    for path, item in (("/api/v1/me/referrals", "ReferralRead"), ("/api/v1/users", "AccountRead")):
        page = page_schema(schema, path)
        assert page["title"] == f"Page[{item}]"
        assert page["properties"]["items"]["items"]["$ref"] == f"#/components/schemas/{item}"
        assert set(page["properties"]) == {"items", "next_cursor"}
    limit = next(p for p in schema["paths"]["/api/v1/me/referrals"]["get"]["parameters"] if p["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"], limit["schema"]["default"]) == (1, 200, 50)
