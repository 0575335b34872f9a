"""Audit log (recorded, filterable, append-only), CSRF on every form, plugins page, template overrides, errors."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from admin_ui import audit
from admin_ui.render import build_env, collect
from core import db
from core.admin import DashboardWidget, MenuEntry
from core.errors import ConfigError
from core.hooks import hookimpl
from core.hooks.manager import PluginsFile, build
from tests.admin_ui.conftest import page_csrf


async def test_every_admin_action_is_audited_and_filterable(admin_client, make_user) -> None:
    client = await admin_client(roles=["admin"])
    admin = client.user
    target = await make_user()
    token = await page_csrf(client, f"/admin/users/{target.id}")
    await client.post(f"/admin/users/{target.id}/ban", data={"_csrf": token, "reason": "spam"})
    await client.post(f"/admin/users/{target.id}/roles", data={"_csrf": token, "roles": ["organiser"]})
    rows = (await audit.entries({"object_id": str(target.id)}, None, 10)).items
    assert [(r["action"], r["actor_id"]) for r in rows] == [("user.role_grant", admin.id), ("user.ban", admin.id)]
    ban = rows[1]
    assert ban["before"] == {"status": "active"} and ban["after"] == {"status": "banned", "until": None}
    assert ban["reason"] == "spam" and ban["ip"] == "127.0.0.1" and ban["created_at"] is not None
    page = await client.get("/admin/audit", params={"action": "user.ban"})
    assert page.status_code == 200
    assert "user.ban" in page.text and "user.role_grant</code>" not in page.text
    page = await client.get("/admin/audit", params={"actor_id": "not-a-number"})
    assert "No entries." in page.text


async def test_audit_log_is_append_only_in_postgresql(sbor_database) -> None:
    await audit.record(1, "test.action", "thing", 7, before={"a": 1}, after={"a": 2})
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await db.fetch("UPDATE users.audit_entry SET action = 'forged'")
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await db.fetch("DELETE FROM users.audit_entry")
    assert [r["action"] for r in await db.fetch("SELECT action FROM users.audit_entry")] == ["test.action"]


async def test_every_post_under_admin_refuses_a_missing_or_wrong_csrf_token(admin_client) -> None:
    client = await admin_client(roles=["admin"])
    admin = client.user
    app = client._transport.app  # the ASGI app behind the client
    posts = [r.path for r in app.routes if "POST" in getattr(r, "methods", set()) and r.path.startswith("/admin")]
    assert len(posts) >= 8
    for path in posts:
        if path == "/admin/login":
            continue  # covered by the sign-in tests (a token in a cookie, since there is no session yet)
        url = (path.replace("{user_id:int}", str(admin.id)).replace("{name:str}", "support")
               .replace("{key:str}", "events.review").replace("{item_id:str}", "1"))
        for data in ({}, {"_csrf": "forged"}):
            r = await client.post(url, data=data)
            assert r.status_code == 403, (url, data, r.status_code)
            assert "form expired" in r.text


async def test_plugins_page_lists_installed_plugins(admin_client) -> None:
    client = await admin_client(roles=["admin"])
    r = await client.get("/admin/plugins")
    assert r.status_code == 200
    for name in ("admin", "users", "auth"):
        assert f"<strong>{name}</strong>" in r.text
    assert "require_totp" in r.text  # the admin plugin's (redacted) settings


async def test_unknown_pages_are_html_404(admin_client) -> None:
    client = await admin_client(roles=["admin"])
    for url in ("/admin/p/nope/nothing", "/admin/moderation/nope.queue", "/admin/users/0"):
        r = await client.get(url)
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html"), url


async def test_pages_send_security_headers(admin_client) -> None:
    client = await admin_client(roles=["moderator"])
    r = await client.get("/admin/")
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"


async def test_static_assets_are_served_locally(make_client) -> None:
    client = await make_client(["admin"])
    for path in ("/admin/static/vendor/htmx.min.js", "/admin/static/vendor/pico.min.css", "/admin/static/admin.css"):
        r = await client.get(path)
        assert r.status_code == 200 and len(r.content) > 500, path
    page = await client.get("/admin/login")
    assert "https://" not in page.text.split("<body>")[0]  # no CDN in the head


class OverridePlugin:
    """A stand-in plugin that overrides a core template and contributes a menu entry and a widget."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @hookimpl
    def register_template_dirs(self) -> list[str]:
        return [str(self.folder)]

    @hookimpl
    def register_admin_pages(self) -> list[object]:
        async def load() -> list[object]:
            return []

        return [MenuEntry(plugin="x", title="Docs", url="/docs"),
                DashboardWidget(plugin="x", name="w", title="W", load=load)]


async def test_a_plugin_overrides_a_core_template_by_name(sbor_database, tmp_path) -> None:
    (tmp_path / "admin").mkdir()
    (tmp_path / "admin" / "dashboard.html").write_text("custom dashboard {{ boxes | length }}")
    registry = build(PluginsFile(enabled=["admin"]))
    registry.pm.register(OverridePlugin(tmp_path), name="x")
    env = build_env(registry)
    assert env.get_template("admin/dashboard.html").render(boxes=[1, 2]) == "custom dashboard 2"
    assert "Sbor admin" in env.get_template("admin/base.html").render(menu=[], path="/")  # the rest stays core's
    found = collect(registry)
    assert [m.title for m in found.menu] == ["Docs"] and [w.name for w in found.widgets if w.plugin == "x"] == ["w"]


async def test_wrong_contribution_types_stop_start_up(sbor_database) -> None:
    class Bad:
        @hookimpl
        def register_admin_pages(self) -> list[object]:
            return [{"title": "not a core.admin type"}]

    registry = build(PluginsFile(enabled=["admin"]))
    registry.pm.register(Bad(), name="bad")
    with pytest.raises(ConfigError, match="plugin 'bad'"):
        collect(registry)
    from core.app import create_app
    from core.hooks.manager import activate

    try:
        with pytest.raises(ConfigError, match="plugin 'bad'"):
            create_app(registry)  # at start-up, not at the first request
    finally:
        activate(sbor_database)


async def test_htmx_requests_may_send_the_token_in_a_header(admin_client, make_user) -> None:
    from core.users import services as users

    client = await admin_client(roles=["admin"])
    target = await make_user()
    token = client.csrf
    r = await client.post(f"/admin/users/{target.id}/roles", data={"roles": ["organiser"]},
                          headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert r.status_code == 303
    assert await users.roles_of(target.id) == ["organiser", "user"]


async def test_anonymous_htmx_requests_are_told_to_redirect(make_client) -> None:
    client = await make_client(["admin"])
    r = await client.get("/admin/users", headers={"HX-Request": "true"})
    assert r.status_code == 401 and r.headers["hx-redirect"] == "/admin/login"
