"""The RICE board and experiments edited in the admin panel, through analytics' own services."""

from __future__ import annotations

from typing import Any

from plugins.analytics import experiments, rice

from .conftest import PLUGINS

IDEAS = "/admin/p/analytics/ideas"
EXPERIMENTS = "/admin/p/analytics/experiments"


async def test_ideas_are_created_edited_moved_and_deleted_in_the_panel(admin_client: Any, make_user: Any) -> None:
    client = await admin_client(roles=["admin"], plugins=PLUGINS)
    form = {"_csrf": client.csrf, "title": "Maps", "reach": "10", "impact": "2", "confidence": "50",
            "effort": "1", "status": "open"}

    # Bad input: per-field errors from the form's kinds and from the service's own rules, values kept
    r = await client.post(f"{IDEAS}/new", data={**form, "reach": "ten"})
    assert r.status_code == 422 and 'id="reach-error">Enter a whole number.' in r.text and 'value="Maps"' in r.text
    r = await client.post(f"{IDEAS}/new", data={**form, "impact": "5"})
    assert r.status_code == 422 and 'id="impact-error">Expected `float` &lt;= 3.0' in r.text

    # Created through rice.create_idea: the score is the service's
    r = await client.post(f"{IDEAS}/new", data=form)
    assert r.status_code == 303
    [idea] = (await rice.list_ideas()).items
    assert r.headers["location"] == f"{IDEAS}/o/{idea.id}" and idea.score == 10.0 and idea.created_by == client.user.id
    page = await client.get(r.headers["location"])
    assert "<dt>Score</dt><dd>10.0</dd>" in page.text and 'id="edit"' in page.text

    # Edited: the score follows
    edit = await client.get(f"{IDEAS}/o/{idea.id}/edit")
    assert 'value="Maps"' in edit.text and 'value="2.0"' in edit.text
    r = await client.post(f"{IDEAS}/o/{idea.id}/edit", data={**form, "reach": "40"})
    assert r.status_code == 303 and (await rice.get_idea(idea.id)).score == 40.0

    # A second idea; both moved to "planned" with the bulk action (confirmation first)
    await client.post(f"{IDEAS}/new", data={**form, "title": "Chat"})
    ids = [str(i.id) for i in (await rice.list_ideas()).items]
    ask = await client.post(f"{IDEAS}/actions/set-status", data={"_csrf": client.csrf, "id": ids})
    assert ask.status_code == 200 and "Move the selected ideas to this status?" in ask.text
    r = await client.post(f"{IDEAS}/actions/set-status", data={"_csrf": client.csrf, "id": ids, "confirmed": "1",
                                                               "status": "planned", "back": f"{IDEAS}?status=open"})
    assert r.status_code == 303 and r.headers["location"] == f"{IDEAS}?status=open"
    assert {i.status for i in (await rice.list_ideas()).items} == {"planned"}

    # Deleted from its page
    r = await client.post(f"{IDEAS}/actions/delete", data={"_csrf": client.csrf, "id": str(idea.id),
                                                           "confirmed": "1", "back": f"{IDEAS}/o/{idea.id}"})
    assert r.status_code == 303 and r.headers["location"] == IDEAS
    assert [i.title for i in (await rice.list_ideas()).items] == ["Chat"]
    assert (await client.get(f"{IDEAS}/o/{idea.id}")).status_code == 404


async def test_experiments_are_created_started_and_stopped_in_the_panel(admin_client: Any) -> None:
    client = await admin_client(roles=["admin"], plugins=PLUGINS)
    form = {"_csrf": client.csrf, "key": "big-button", "name": "Big join button", "goal": "event_joined",
            "variants": "control 50\nbig 50"}
    r = await client.post(f"{EXPERIMENTS}/new", data={**form, "variants": "control fifty"})
    assert r.status_code == 422 and "Write each variant as a key and a weight" in r.text
    assert (await client.post(f"{EXPERIMENTS}/new", data=form)).status_code == 303
    r = await client.post(f"{EXPERIMENTS}/new", data=form)
    assert r.status_code == 422 and 'id="key-error">This key is taken.' in r.text
    assert [v.key for v in (await experiments.get("big-button")).variants] == ["control", "big"]

    listing = await client.get(EXPERIMENTS)
    assert 'data-action="start"' in listing.text and 'data-action="stop"' not in listing.text
    r = await client.post(f"{EXPERIMENTS}/actions/start", data={"_csrf": client.csrf, "id": "big-button",
                                                                "confirmed": "1"})
    assert r.status_code == 303 and (await experiments.get("big-button")).status == "running"
    detail = await client.get(f"{EXPERIMENTS}/o/big-button")
    assert "control: 0/0" in detail.text and 'data-action="stop"' in detail.text

    # Once running, an edit is refused by the service and the form says why
    r = await client.post(f"{EXPERIMENTS}/o/big-button/edit", data={**form, "name": "Renamed"})
    assert r.status_code == 422 and "Only a draft experiment can be edited" in r.text
    r = await client.post(f"{EXPERIMENTS}/actions/stop", data={"_csrf": client.csrf, "id": "big-button",
                                                               "confirmed": "1"})
    assert r.status_code == 303 and (await experiments.get("big-button")).status == "stopped"
    # Starting again is an illegal move: the 409 page
    r = await client.post(f"{EXPERIMENTS}/actions/start", data={"_csrf": client.csrf, "id": "big-button",
                                                                "confirmed": "1"})
    assert r.status_code == 409 and "text/html" in r.headers["content-type"]


async def test_only_analytics_managers_edit(admin_client: Any) -> None:
    client = await admin_client(roles=["moderator"], plugins=PLUGINS)
    assert (await client.get(f"{IDEAS}/new")).status_code == 403
    r = await client.post(f"{IDEAS}/new", data={"_csrf": client.csrf, "title": "x"})
    assert r.status_code == 403 and "text/html" in r.headers["content-type"]
    assert (await rice.list_ideas()).items == []
