"""The panel answers support's ``user_context_for_support`` (optional): the user's audit log, for ``admin.audit``."""

from __future__ import annotations

from typing import Any

import pytest

from admin_ui import audit, plugin
from core.errors import Conflict
from core.hooks.manager import PluginsFile, build

pytestmark = pytest.mark.asyncio(loop_scope="session")
PLUGINS = ["support", "admin"]


async def _role(name: str, permissions: list[str]) -> str:
    from core.users import services as users

    try:
        await users.create_role(name, name, permissions, None)
    except Conflict:
        pass
    return name


async def test_agents_with_admin_audit_see_the_users_recent_actions(admin_client: Any, make_user: Any,
                                                                     auth_headers: Any) -> None:
    ada, other = await make_user(display_name="Ada"), await make_user()
    await audit.record(ada.id, "login", "user", ada.id, actor_label="ada@example.org")
    await audit.record(other.id, "user.ban", "user", ada.id, actor_label="boss@example.org", reason="spam")
    await audit.record(other.id, "user.unban", "user", other.id)  # about someone else
    for n in range(25):
        await audit.record(ada.id, "support.macro", "macro", n)

    rows = (await plugin.user_context_for_support(user_id=ada.id, permissions=frozenset({"admin.audit"})))["rows"]
    assert len(rows) == plugin.AUDIT_ROWS and rows[0]["label"].endswith("support.macro")  # newest first, at most 20
    assert rows[0]["value"] == "by them on macro 24" and "actor_id=" in rows[0]["url"]
    everything = (await plugin.user_context_for_support(user_id=ada.id, permissions=frozenset({"*"})))["rows"]
    assert everything == rows
    assert await plugin.user_context_for_support(user_id=ada.id, permissions=frozenset({"support.answer"})) is None

    # Beside the ticket in the panel: only for an agent who holds admin.audit
    auditor = await admin_client(roles=[await _role("audit_agent", ["admin.access", "support.answer",
                                                                    "admin.audit"])], plugins=PLUGINS)
    r = await auditor.post("/api/v1/support/tickets", json={"category": "account", "subject": "Banned?",
                                                            "body": "Why?"}, headers=await auth_headers(ada))
    assert r.status_code == 201, r.text
    talk = f"/admin/p/support/conversation?ticket={r.json()['id']}"
    page = await auditor.get(talk)
    assert page.status_code == 200 and "Audit log" in page.text and "support.macro" in page.text
    plain = await admin_client(roles=[await _role("plain_agent", ["admin.access", "support.answer"])],
                               plugins=PLUGINS)
    page = await plain.get(talk)
    assert page.status_code == 200 and "Audit log" not in page.text and "support.macro" not in page.text


async def test_the_target_side_names_the_actor(make_user: Any) -> None:
    ada = await make_user()
    await audit.record(ada.id + 1, "user.ban", "user", ada.id, actor_label="boss@example.org", reason="spam")
    (row,) = (await plugin.user_context_for_support(user_id=ada.id, permissions=frozenset({"admin.audit"})))["rows"]
    assert row["value"] == "by boss@example.org: spam"
    assert row["url"] == f"/admin/audit?object_type=user&object_id={ada.id}&action=user.ban"


async def test_the_panel_loads_without_support(make_app: Any) -> None:
    make_app(["admin"])  # the optional hook needs no spec
    caller = build(PluginsFile(enabled=["admin"])).pm.hook.user_context_for_support
    assert "admin" in [i.plugin_name for i in caller.get_hookimpls()] and caller.spec is None
