"""Moderation: every queue plugins contribute (events, later media and reviews), oldest first; approve or reject."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from admin_ui import audit
from admin_ui.render import panel, render
from admin_ui.web import checked_form, ip_of, needs, page_size, staff_of
from core.admin import AdminQuery, ModerationQueue
from core.errors import NotFound, PermissionDenied, SborError
from core.i18n import N_
from core.users import services as users

DONE = {"approved": N_("Approved."), "rejected": N_("Rejected; the author was told why.")}  # translated where shown


def _queue(request: Request[Any, Any, Any], key: str) -> ModerationQueue:
    q = panel(request).contributions.queues.get(key)
    if q is None:
        raise NotFound("No such moderation queue.", code="queue_not_found")
    if not staff_of(request).has(q.permission):
        raise PermissionDenied("This queue needs the permission %(permission)s.",
                               params={"permission": q.permission}, code="permission_denied")
    return q


async def _author(author_id: int | None) -> Any:
    if author_id is None:
        return None
    try:
        return await users.get_user(author_id)
    except SborError:
        return None


class ModerationController(Controller):
    """``/admin/moderation/…``."""

    path = "/moderation"
    include_in_schema = False
    guards = [needs("admin.access")]

    @get("/", operation_id="admin_moderation_index")
    async def list_queues(self, request: Request[Any, Any, Any]) -> Response[str]:
        """Every queue the staff member may work on, with how many items wait."""
        staff = staff_of(request)
        queues = []
        for q in panel(request).contributions.queues.values():
            if staff.has(q.permission):
                queues.append({"queue": q, "count": await q.count()})
        return render(request, "admin/moderation_index.html", {"queues": queues}, staff=staff)

    @get("/{key:str}", operation_id="admin_moderation_queue")
    async def get_queue(self, request: Request[Any, Any, Any], key: FromPath[str]) -> Response[str]:
        """Items waiting, oldest first, one page."""
        q = _queue(request, key)
        staff = staff_of(request)
        query = AdminQuery(filters={}, search=request.query_params.get("q") or "",
                           cursor=request.query_params.get("cursor"),
                           limit=page_size(), staff_id=staff.user_id, timezone=staff.timezone)
        items, next_cursor = await q.list(query)
        authors = {i.author_id: await _author(i.author_id) for i in items if i.author_id is not None}
        return render(request, "admin/moderation_queue.html", {
            "queue": q, "items": items, "authors": authors, "next_cursor": next_cursor,
            "done": DONE.get(request.query_params.get("done") or ""),
        }, staff=staff)

    @get("/{key:str}/{item_id:str}", operation_id="admin_moderation_item")
    async def get_item(self, request: Request[Any, Any, Any], key: FromPath[str],
                       item_id: FromPath[str]) -> Response[str]:
        """One item: every field, its author and its history, with the approve and reject forms."""
        q = _queue(request, key)
        return await _detail_page(request, q, item_id)

    @post("/{key:str}/{item_id:str}/approve", operation_id="admin_moderation_approve", status_code=200)
    async def approve_item(self, request: Request[Any, Any, Any], key: FromPath[str],
                           item_id: FromPath[str]) -> Response[Any]:
        """Approve through the plugin's service (which tells the author through its hooks)."""
        await checked_form(request)
        q = _queue(request, key)
        staff = staff_of(request)
        before = await q.detail(item_id)
        await q.approve(item_id, staff.user_id)
        await audit.record(staff.user_id, "moderation.approve", q.key, item_id, actor_label=staff.email,
                           before={"status": before.status}, after={"status": (await q.detail(item_id)).status},
                           ip=ip_of(request))
        return Redirect(f"/admin/moderation/{q.key}?done=approved", status_code=303)

    @post("/{key:str}/{item_id:str}/reject", operation_id="admin_moderation_reject", status_code=200)
    async def reject_item(self, request: Request[Any, Any, Any], key: FromPath[str],
                          item_id: FromPath[str]) -> Response[Any]:
        """Reject with a reason the author will read; an empty reason shows the error next to the field."""
        form = await checked_form(request)
        q = _queue(request, key)
        staff = staff_of(request)
        reason = str(form.get("reason") or "").strip()
        if not reason:
            return await _detail_page(request, q, item_id, errors={"reason": N_("Tell the author why (required).")},
                                      status=422)
        if len(reason) > 2000:
            return await _detail_page(request, q, item_id, reason=reason, status=422,
                                      errors={"reason": N_("Keep the reason under 2000 characters.")})
        before = await q.detail(item_id)
        await q.reject(item_id, staff.user_id, reason)
        await audit.record(staff.user_id, "moderation.reject", q.key, item_id, actor_label=staff.email,
                           before={"status": before.status}, after={"status": (await q.detail(item_id)).status},
                           reason=reason, ip=ip_of(request))
        return Redirect(f"/admin/moderation/{q.key}?done=rejected", status_code=303)


async def _detail_page(request: Request[Any, Any, Any], q: ModerationQueue, item_id: str, *,
                       errors: dict[str, str] | None = None, reason: str = "", status: int = 200) -> Response[str]:
    detail = await q.detail(item_id)
    people = {}
    for actor_id in {h.get("actor_id") for h in detail.history if h.get("actor_id") is not None}:
        person = await _author(actor_id)
        people[actor_id] = person.display_name if person else f"#{actor_id}"
    return render(request, "admin/moderation_item.html", {
        "queue": q, "item": detail, "author": await _author(detail.author_id), "errors": errors or {},
        "reason": reason, "people": people,
    }, status=status, staff=staff_of(request))
