"""The audit log is written by services: the API, the panel, the CLI and jobs each leave exactly one entry per action,
with who, what, before/after and where from (request id and address, or the job or command)."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from core import audit, db
from core.http.context import origin
from core.settings import ROOT
from core.users import services as users
from tests.admin_ui.conftest import pending_event

ADDRESS = "203.0.113.7"


async def entries(action: str) -> list[dict[str, Any]]:
    rows = await db.fetch("SELECT actor_id, actor_label, action, object_type, object_id, before, after, reason, ip, "
                          "request_id, origin FROM users.audit_entry WHERE action = $1 ORDER BY id", action)
    return [dict(r) for r in rows]


async def test_approving_through_the_api_is_recorded_once_with_request_id_and_address(
        make_client, make_user, auth_headers) -> None:
    moderator = await make_user(roles=["moderator"], email="mod@example.org")
    author = await make_user(roles=["organiser"])
    event_id = await pending_event(author.id)
    api = await make_client(["events"], client_ip=ADDRESS)
    r = await api.post(f"/api/v1/events/{event_id}/approve",
                       headers={**await auth_headers(moderator), "X-Request-ID": "req-approve-1"})
    assert r.status_code == 200, r.text
    (entry,) = await entries("event.approve")
    assert entry["actor_id"] == moderator.id and entry["actor_label"] == "mod@example.org"
    assert (entry["object_type"], entry["object_id"]) == ("event", str(event_id))
    assert (entry["ip"], entry["request_id"], entry["origin"]) == (ADDRESS, "req-approve-1", "api")
    assert '"pending_review"' in entry["before"] and '"published"' in entry["after"]
    # A second approval is refused (409) and writes nothing
    again = await api.post(f"/api/v1/events/{event_id}/approve", headers=await auth_headers(moderator))
    assert again.status_code == 409
    assert len(await entries("event.approve")) == 1


async def test_granting_a_role_through_the_api_is_recorded_once(make_client, make_user, auth_headers) -> None:
    admin = await make_user(roles=["admin"])
    target = await make_user()
    api = await make_client([], client_ip=ADDRESS)
    headers = {**await auth_headers(admin), "X-Request-ID": "req-grant-1"}
    r = await api.put(f"/api/v1/users/{target.id}/roles/organiser", headers=headers)
    assert r.status_code == 204, r.text
    again = await api.put(f"/api/v1/users/{target.id}/roles/organiser", headers=headers)  # idempotent: no change
    assert again.status_code == 204
    grants = [e for e in await entries("user.role_grant") if e["object_id"] == str(target.id)]
    assert len(grants) == 1
    (grant,) = grants
    assert grant["actor_id"] == admin.id and '"organiser"' in grant["after"]
    assert (grant["ip"], grant["request_id"], grant["origin"]) == (ADDRESS, "req-grant-1", "api")
    r = await api.delete(f"/api/v1/users/{target.id}/roles/organiser", headers=await auth_headers(admin))
    assert r.status_code == 204
    (revoke,) = await entries("user.role_revoke")
    assert revoke["object_id"] == str(target.id) and revoke["origin"] == "api" and revoke["request_id"]


async def test_granting_a_role_from_the_command_line_is_recorded_once(sbor_database, make_user, tmp_path) -> None:
    target = await make_user(email="cli-target@example.org")
    plugins = tmp_path / "plugins.toml"
    plugins.write_text("enabled = []\n")
    env = {**os.environ, "SBOR_PLUGINS_FILE": str(plugins)}
    env.pop("SBOR_TEST_PLUGINS", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "core.cli", "users", "grant-role", "cli-target@example.org", "moderator", cwd=ROOT,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert "moderator" in await users.roles_of(target.id)
    (grant,) = [e for e in await entries("user.role_grant") if e["object_id"] == str(target.id)
                and '"moderator"' in e["after"]]
    assert grant["actor_id"] is None and grant["origin"] == "cli" and grant["actor_label"] == "cli"
    assert grant["ip"] == "" and grant["request_id"] == ""
    # An unknown account is one clear line and exit code 2
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "core.cli", "users", "grant-role", "nobody@example.org", "moderator", cwd=ROOT,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _out, err = await proc.communicate()
    assert proc.returncode == 2 and b"error:" in err


async def test_a_jobs_action_is_recorded_once_with_the_job_as_origin(make_client, make_user, clock,
                                                                    run_jobs) -> None:
    from core.users.jobs import lift_expired_bans

    await make_client([])  # the app binds every job to the broker
    banned = await make_user()
    clock.freeze()
    await users.ban_user(banned.id, "cooling off", None, until=clock.now() + timedelta(days=1))
    clock.advance(timedelta(days=1, seconds=1).total_seconds())
    await lift_expired_bans.enqueue()
    assert await run_jobs() >= 1
    (entry,) = await entries("user.unban")
    assert entry["object_id"] == str(banned.id) and entry["actor_id"] is None
    assert entry["origin"] == "job:users.lift_expired_bans" and entry["actor_label"] == "job:users.lift_expired_bans"
    assert entry["reason"] == "the temporary ban ended" and entry["request_id"] == ""
    await lift_expired_bans.enqueue()  # idempotent: nothing left to lift, nothing written
    await run_jobs()
    assert len(await entries("user.unban")) == 1
    assert (await users.get_user(banned.id)).status == "active"


async def test_the_log_is_append_only_and_labels_default_from_the_context(sbor_database) -> None:
    token = origin.set("job:test.thing")
    try:
        await audit.record(None, "test.action", "thing", 7, before={"a": 1}, after={"a": 2})
    finally:
        origin.reset(token)
    (entry,) = await entries("test.action")
    assert entry["actor_label"] == "job:test.thing" and entry["origin"] == "job:test.thing"
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await db.fetch("UPDATE users.audit_entry SET action = 'forged'")
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await db.fetch("DELETE FROM users.audit_entry")
    assert len(await entries("test.action")) == 1


async def test_audit_filters_by_origin_and_request_id(sbor_database) -> None:
    with audit.acting_as("cli"):
        await audit.record(None, "test.filter", "thing", 1)
    await audit.record(None, "test.filter", "thing", 2)
    page = await audit.entries({"action": "test.filter", "origin": "cli"}, None, 10)
    assert [e["object_id"] for e in page.items] == ["1"]
    assert (await audit.entries({"actor_id": "9" * 12}, None, 10)).items == []


def test_a_command_run_in_process_leaves_no_origin_behind() -> None:
    import click
    from click.testing import CliRunner

    from core import cli

    @cli.main.command("origin-probe")
    def probe() -> None:
        click.echo(origin.get())

    try:
        ran = CliRunner().invoke(cli.main, ["origin-probe"])
    finally:
        cli.main.commands.pop("origin-probe")
    # The command ran as "cli"; what runs next in this process (a test, say) does not inherit it
    assert ran.exit_code == 0 and ran.output == "cli\n", ran.output
    assert origin.get() is None
