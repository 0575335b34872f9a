"""Canned rejection reasons staff keep (Russian and English), offered beside every reject form; their admin page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from admin_ui.tables import CannedReason
from core import audit
from core.admin import Action, ActionContext, ActionResult, AdminPage, AdminQuery, Column, Field, Filter, Form, Page
from core.errors import ValidationFailed
from core.pagination import decode_cursor, paginate

PERMISSION = "admin.access"  # every staff member may keep the team's reasons up to date; changes are audited
SCOPE = "admin.reasons"
COLUMNS = (CannedReason.id, CannedReason.title, CannedReason.text_en, CannedReason.text_ru, CannedReason.queue,
           CannedReason.position, CannedReason.active)


async def for_queue(queue: str) -> list[dict[str, Any]]:
    """The active reasons offered in ``queue`` (its own and the ones for every queue), in their order."""
    rows = await CannedReason.select(*COLUMNS).where(
        CannedReason.active.eq(True), CannedReason.queue.is_in([queue, ""])).order_by(
        CannedReason.position).order_by(CannedReason.id)
    return [dict(r) for r in rows]


def text_for(reason: Mapping[str, Any], language: str) -> str:
    """The reason's text in ``language`` (Russian or English), falling back to the other one."""
    ru, en = str(reason.get("text_ru") or ""), str(reason.get("text_en") or "")
    return (ru or en) if language.startswith("ru") else (en or ru)


async def get(reason_id: int) -> dict[str, Any] | None:
    """One reason, active or not."""
    row = await CannedReason.select(*COLUMNS).where(CannedReason.id == reason_id).first()
    return None if row is None else dict(row)


async def save(staff_id: int, reason_id: int | None, values: Mapping[str, Any]) -> int:
    """Create or change a reason (audited); one of the two texts is required."""
    data = {"title": values["title"], "text_en": values.get("text_en") or "", "text_ru": values.get("text_ru") or "",
            "queue": values.get("queue") or "", "position": values.get("position") or 100,
            "active": bool(values.get("active"))}
    if not data["text_en"] and not data["text_ru"]:
        raise ValidationFailed(errors=[{"pointer": "/text_en", "detail": "Write the reason in English or Russian."}])
    if reason_id is None:
        rows = await CannedReason.insert(CannedReason(**data)).returning(CannedReason.id)
        reason_id = int(rows[0]["id"])
        await audit.record(staff_id, "admin.reason_created", "canned_reason", reason_id, after=data)
        return reason_id
    before = await get(reason_id)
    await CannedReason.update({getattr(CannedReason, k): v for k, v in data.items()}).where(
        CannedReason.id == reason_id)
    await audit.record(staff_id, "admin.reason_changed", "canned_reason", reason_id, before=before, after=data)
    return reason_id


# The admin page (/admin/p/admin/reasons)

FIELDS = [
    Field("title", "Short name", required=True, max_length=100, help="What staff pick in the list."),
    Field("text_en", "Text in English", "textarea", max_length=2000),
    Field("text_ru", "Text in Russian", "textarea", max_length=2000),
    Field("queue", "Only in the queue", max_length=64, help="A queue's key such as events.review; empty: every queue."),
    Field("position", "Order", "int", default=100),
    Field("active", "Offered", "bool", default=True),
]


async def _load_page(query: AdminQuery) -> Page:
    where = []
    if query.filters.get("active") in ("yes", "no"):
        where.append(CannedReason.active.eq(query.filters["active"] == "yes"))
    if query.cursor:
        (after,) = decode_cursor(query.cursor, int, scope=SCOPE)
        where.append(CannedReason.id > after)
    rows = await CannedReason.select(*COLUMNS).where(*where).order_by(CannedReason.id).limit(query.limit + 1)
    items, nxt = paginate([dict(r) for r in rows], query.limit, key=lambda r: (r["id"],), scope=SCOPE)
    return Page(items=[{**r, "active": "yes" if r["active"] else "no"} for r in items], next_cursor=nxt)


async def _load_one(raw: str) -> Mapping[str, Any] | None:
    return await get(int(raw)) if raw.isdigit() and len(raw) < 10 else None


async def _save(ctx: ActionContext, raw: str | None, values: Mapping[str, Any]) -> str:
    return str(await save(ctx.staff_id, None if raw is None else int(raw), values))


async def _switch_off(ctx: ActionContext) -> ActionResult:
    for raw in ctx.ids:
        found = await _load_one(raw)
        if found is not None and found["active"]:
            await save(ctx.staff_id, int(raw), {**found, "active": False})
    return ActionResult("No longer offered.")


def page() -> AdminPage:
    """Staff's canned reasons: a list and a form (both languages)."""
    return AdminPage(
        plugin="admin", slug="reasons", title="Canned reasons", load=_load_page, permission=PERMISSION,
        section="Moderation",
        columns=[Column("id", "#"), Column("title", "Short name"), Column("text_en", "English"),
                 Column("text_ru", "Russian"), Column("queue", "Queue"), Column("active", "Offered", "badge")],
        filters=[Filter("active", "Offered", choices=["yes", "no"])],
        form=Form(fields=FIELDS, load=_load_one, save=_save),
        actions=[Action("switch_off", "Stop offering", PERMISSION, _switch_off, bulk=True,
                        confirm="Stop offering the selected reasons?")],
    )
