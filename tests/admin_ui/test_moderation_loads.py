"""How many page loads a moderator needs to decide 50 events (issue 12's figure), counted over HTTP for each flow.

"Documents" are the HTML responses the browser fetches (a POST and the page its redirect opens count as two);
"navigations" are what the moderator does (open a link, submit a form). Figures measured here (2026-11-26):
one at a time through the list (the only way before issue 12): 151 documents, 101 navigations; approve-and-next:
102 documents, 52 navigations; bulk with its confirmation: 4 documents, 3 navigations.
"""

from __future__ import annotations

import re

from tests.admin_ui.conftest import event_status, pending_event

PLUGINS = ["admin", "events"]
QUEUE = "/admin/moderation/events.review"
N = 50


def _counting(client) -> list[str]:
    """Every HTML document the client fetches (a POST and the page it redirects to are each counted)."""
    seen: list[str] = []

    async def hook(response) -> None:
        seen.append(f"{response.request.method} {response.request.url.path}")

    client.event_hooks["response"].append(hook)
    return seen


async def _setup(admin_client, make_user):
    client = await admin_client(roles=["moderator"], plugins=PLUGINS)
    author = await make_user(roles=["organiser"])
    ids = [await pending_event(author.id, f"Event {i}") for i in range(N)]
    return client, ids


def _csrf(html: str) -> str:
    return re.search(r'name="_csrf" value="([^"]+)"', html).group(1)


async def test_one_at_a_time_through_the_list(admin_client, make_user) -> None:
    # The flow before issue 12: list → item → approve → back to the list.
    client, ids = await _setup(admin_client, make_user)
    loads = _counting(client)
    page, navigations = await client.get(QUEUE), 1
    for _ in range(N):
        item = re.search(r'href="(/admin/moderation/events\.review/\d+)[?"]', page.text).group(1)
        detail = await client.get(item)
        page = await client.post(item + "/approve", data={"_csrf": _csrf(detail.text)}, follow_redirects=True)
        navigations += 2
    assert {await event_status(i) for i in ids} == {"published"}
    assert (len(loads), navigations) == (1 + 3 * N, 1 + 2 * N)
    print(f"\none at a time through the list: {len(loads)} documents, {navigations} navigations for {N} decisions")


async def test_approve_and_next(admin_client, make_user) -> None:
    client, ids = await _setup(admin_client, make_user)
    loads = _counting(client)
    page = await client.get(QUEUE)
    item = re.search(r'href="(/admin/moderation/events\.review/\d+)[?"]', page.text).group(1)
    page, navigations = await client.get(item), 2
    for n in range(N):
        action = re.search(r'action="([^"]+/approve)"', page.text).group(1)
        page = await client.post(action, data={"_csrf": _csrf(page.text), "state": "", "and_next": "1"},
                                 follow_redirects=True)
        navigations += 1
        assert n == N - 1 or "Approve and next" in page.text
    assert {await event_status(i) for i in ids} == {"published"}
    assert (len(loads), navigations) == (2 + 2 * N, 2 + N)
    print(f"\napprove and next: {len(loads)} documents, {navigations} navigations for {N} decisions")


async def test_bulk_with_confirmation(admin_client, make_user) -> None:
    client, ids = await _setup(admin_client, make_user)
    loads = _counting(client)
    page = await client.get(QUEUE, params={"limit": "50"})
    ticked = re.findall(r'name="id" value="(\d+)"', page.text)
    assert len(ticked) == N
    ask = await client.post(f"{QUEUE}/bulk", data={"_csrf": _csrf(page.text), "decision": "reject", "id": ticked,
                                                   "state": "limit=50"})
    assert "Reject 50 items with one reason?" in ask.text
    await client.post(f"{QUEUE}/bulk", data={"_csrf": _csrf(ask.text), "decision": "reject", "id": ticked,
                                             "state": "limit=50", "confirm": "1", "reason": "Duplicates"},
                      follow_redirects=True)
    assert {await event_status(i) for i in ids} == {"rejected"}
    assert len(loads) == 4
    print(f"\nbulk with confirmation: {len(loads)} documents, 3 navigations for {N} decisions")
