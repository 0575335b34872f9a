"""A plugin extends the panel over HTTP: its page with its own template, a menu entry, widgets (one failing), and a
core template overridden by name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from core.admin import AdminPage, AdminQuery, Column, DashboardWidget, MenuEntry, Page, Stat
from core.app import create_app
from core.hooks import hookimpl
from core.hooks.manager import PluginsFile, activate, build
from core.testing import _lifespan
from tests.admin_ui.conftest import NO_TOTP, set_password, sign_in


class Shop:
    """A stand-in third-party plugin named "shop"."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @hookimpl
    def register_template_dirs(self) -> list[str]:
        return [str(self.folder)]

    @hookimpl
    def register_admin_pages(self) -> list[Any]:
        async def orders(query: AdminQuery) -> Page:
            rows = [{"id": i, "total": f"{i * 10} EUR"} for i in range(1, 4)]
            if query.filters.get("min"):
                rows = [r for r in rows if r["id"] >= int(query.filters["min"])]
            return Page(items=rows)

        async def sales() -> list[Stat]:
            return [Stat("Orders today", 42)]

        async def broken() -> list[Stat]:
            raise RuntimeError("provider down")

        return [
            AdminPage(plugin="shop", slug="orders", title="Orders", load=orders, columns=[Column("id", "#")],
                      template="shop/admin/orders.html"),
            AdminPage(plugin="shop", slug="secret", title="Secret", load=orders, permission="roles.edit",
                      columns=[Column("id", "#")]),
            MenuEntry(plugin="shop", title="Shop help", url="/admin/p/shop/orders?help=1", section="Shop"),
            DashboardWidget(plugin="shop", name="sales", title="Sales", load=sales),
            DashboardWidget(plugin="shop", name="broken", title="Payments", load=broken),
        ]


async def test_a_plugin_extends_the_panel(sbor_database, make_user, tmp_path) -> None:
    (tmp_path / "shop" / "admin").mkdir(parents=True)
    (tmp_path / "shop" / "admin" / "orders.html").write_text(
        '{% extends "admin/base.html" %}{% block content %}<h1>Shop orders</h1>'
        "{% for r in rows %}<p class=order>{{ r.total }}</p>{% endfor %}{% endblock %}")
    (tmp_path / "admin").mkdir()
    (tmp_path / "admin" / "login.html").write_text(
        '{% extends "admin/base.html" %}{% block body %}<h1>Shop staff only</h1>'
        '<input name="_csrf" value="{{ login_csrf }}">{% endblock %}')
    registry = build(PluginsFile(enabled=["admin"], settings=NO_TOTP))
    registry.pm.register(Shop(tmp_path), name="shop")
    app = create_app(registry)
    moderator = await make_user(roles=["moderator"])
    await set_password(moderator.id)
    email = (await moderator_email(moderator.id))
    try:
        async with _lifespan(app):
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                login = await client.get("/admin/login")
                assert "Shop staff only" in login.text  # the core template overridden by name
                assert (await sign_in(client, email)).status_code == 303

                dash = await client.get("/admin/")
                assert dash.status_code == 200
                text = " ".join(dash.text.split())
                assert "Orders today</span> <b>42</b>" in text
                assert "Payments" in text and "This widget could not be loaded." in text  # only its own box
                assert 'href="/admin/p/shop/orders"' in text and "Shop help" in text
                assert 'href="/admin/p/shop/secret"' not in text  # needs roles.edit

                page = await client.get("/admin/p/shop/orders")
                assert page.status_code == 200
                assert "Shop orders" in page.text and page.text.count('class=order') == 3
                assert (await client.get("/admin/p/shop/secret")).status_code == 403
    finally:
        activate(sbor_database)


async def moderator_email(user_id: int) -> str:
    from core.users.tables import User

    return str((await User.select(User.email).where(User.id == user_id).first())["email"])
