"""A stand-in plugin "depot" declaring a list page with row and bulk actions, a create/edit form and a detail page."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from core.admin import Action, ActionContext, ActionResult, AdminPage, AdminQuery, Column, Field, Filter, Form, Page
from core.app import create_app
from core.errors import ValidationFailed
from core.hooks import hookimpl
from core.hooks.manager import PluginsFile, activate, build
from core.pagination import decode_cursor, encode_cursor
from core.testing import _lifespan
from core.users.tables import User
from tests.admin_ui.conftest import NO_TOTP, set_password, sign_in

FIELDS = [
    Field("name", "Name", required=True, max_length=20),
    Field("qty", "Quantity", kind="int"),
    Field("price", "Price", kind="decimal"),
    Field("kind", "Kind", kind="choice", choices=[("a", "Apples"), ("b", "Bananas")], required=True),
    Field("tags", "Tags", kind="multichoice", choices=[("red", "Red"), ("ripe", "Ripe")]),
    Field("due", "Due", kind="date"),
    Field("starts", "Starts", kind="datetime"),
    Field("fresh", "Fresh", kind="bool"),
    Field("token", "Token", kind="secret"),
]


@dataclass
class Depot:
    """The plugin's state (its "database") and what its callbacks saw, for the tests to check."""

    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    runs: list[tuple[str, ActionContext]] = field(default_factory=list)
    saves: list[tuple[str | None, dict[str, Any]]] = field(default_factory=list)

    def fill(self, count: int) -> None:
        for i in range(1, count + 1):
            self.items[str(i)] = {"id": i, "name": f"Item {i}", "status": "open"}

    async def load(self, query: AdminQuery) -> Page:
        after = decode_cursor(query.cursor, int, scope="depot")[0] if query.cursor else 0
        status = query.filters.get("status")
        rows = [r for r in sorted(self.items.values(), key=lambda r: r["id"])
                if r["id"] > after and (not status or r["status"] == status)]
        page = rows[:query.limit]
        more = len(rows) > query.limit
        return Page(items=page, next_cursor=encode_cursor(page[-1]["id"], scope="depot") if more else None)

    async def archive(self, ctx: ActionContext) -> ActionResult | None:
        self.runs.append(("archive", ctx))
        for i in ctx.ids:
            self.items[i]["status"] = "archived"
        return None

    async def close(self, ctx: ActionContext) -> ActionResult:
        self.runs.append(("close", ctx))
        if ctx.values["reason"] == "forbidden":
            raise ValidationFailed("bad reason", errors=[{"pointer": "/reason", "detail": "Not this reason."}])
        for i in ctx.ids:
            self.items[i]["status"] = "closed"
        return ActionResult(message=f"Closed {len(ctx.ids)} items.")

    async def purge(self, ctx: ActionContext) -> None:
        self.runs.append(("purge", ctx))

    async def detail(self, object_id: str) -> Mapping[str, Any] | None:
        return self.items.get(object_id)

    async def load_one(self, object_id: str) -> Mapping[str, Any] | None:
        return self.items.get(object_id)

    async def save(self, ctx: ActionContext, object_id: str | None, values: Mapping[str, Any]) -> str:
        self.saves.append((object_id, dict(values)))
        if values["name"] == "taken":
            raise ValidationFailed("taken", errors=[{"pointer": "/name", "detail": "This name is taken."}])
        new_id = object_id or str(max((r["id"] for r in self.items.values()), default=0) + 1)
        self.items[new_id] = {**self.items.get(new_id, {}), **values, "id": int(new_id),
                              "status": self.items.get(new_id, {}).get("status", "open")}
        return new_id

    @hookimpl
    def register_admin_pages(self) -> list[Any]:
        actions = [
            Action("archive", "Archive", permission="users.view", run=self.archive,
                   visible=lambda row: row.get("status") == "open"),
            Action("close", "Close", permission="users.view", run=self.close, bulk=True,
                   confirm="Close the selected items? Their owners are told why.",
                   fields=[Field("reason", "Reason", kind="textarea", required=True, max_length=500),
                           Field("notify", "Tell the owners", kind="bool", default=True)]),
            Action("purge", "Purge", permission="roles.edit", run=self.purge, danger=True,
                   confirm="Purge this item for good?"),
        ]
        return [
            AdminPage(plugin="depot", slug="items", title="Items", load=self.load,
                      columns=[Column("id", "#"), Column("name", "Name"), Column("status", "Status", kind="badge")],
                      filters=[Filter("status", "Status", choices=["open", "closed", "archived"])],
                      actions=actions, detail=self.detail,
                      form=Form(fields=FIELDS, load=self.load_one, save=self.save)),
            AdminPage(plugin="depot", slug="locked", title="Locked", load=self.load, columns=[Column("id", "#")],
                      form=Form(fields=FIELDS, load=self.load_one, save=self.save, permission="roles.edit")),
        ]


@asynccontextmanager
async def depot_client(sbor_database: Any, user_id: int, depot: Depot) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in to a panel with the stand-in plugin (TOTP off, the browser in Europe/Berlin)."""
    registry = build(PluginsFile(enabled=["admin"], settings=NO_TOTP))
    registry.pm.register(depot, name="depot")
    app = create_app(registry)
    await set_password(user_id)
    row = await User.select(User.email).where(User.id == user_id).first()
    assert row is not None
    try:
        async with _lifespan(app):
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                assert (await sign_in(client, row["email"])).status_code == 303
                yield client
    finally:
        activate(sbor_database)
