"""Moderation: every queue plugins contribute, searchable, filtered and sorted; claims, bulk and one-load decisions.

A decision is one POST whose redirect opens the next item of the same filtered, sorted list ("approve and next"),
so it takes one page load. Opening an item claims it (``claim_minutes``); a second moderator deciding an item gets a
409 page naming who decided first, what and when, with the reason they typed kept.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from admin_ui import claims, pending, queueing, reasons, session
from admin_ui.render import localtime, panel, render
from admin_ui.web import checked_form, needs, page_size, staff_of, values
from core import i18n
from core.admin import AdminQuery, ModerationQueue, QueueDetail
from core.errors import BadRequest, Conflict, NotFound, PermissionDenied, SborError
from core.i18n import N_
from core.pagination import MAX_LIMIT
from core.users import services as users
from core.users.tables import User

DONE = {"approved": N_("Approved."), "rejected": N_("Rejected; the author was told why.")}  # translated where shown
MAX_REASON = 2000
Req = Request[Any, Any, Any]


def _queue(request: Req, key: str) -> ModerationQueue:
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


async def _language(author_id: int | None) -> str:
    """The author's language (the one they read the reason in)."""
    if author_id is None:
        return "en"
    row = await User.select(User.language).where(User.id == author_id).first()
    return str(row["language"]) if row and row["language"] else "en"


def _query(request: Req, q: ModerationQueue, params: Any = None) -> AdminQuery:
    staff = staff_of(request)
    return queueing.parse(q, request.query_params if params is None else params, staff_id=staff.user_id,
                          timezone=staff.timezone, page_size=page_size())


def _kept(request: Req, q: ModerationQueue, state: str) -> AdminQuery:
    staff = staff_of(request)
    return queueing.from_state(q, state, staff_id=staff.user_id, timezone=staff.timezone, page_size=page_size())


def _list_url(q: ModerationQueue, state: str, done: str = "") -> str:
    query = "&".join(x for x in (state, f"done={done}" if done else "") if x)
    return f"/admin/moderation/{q.key}" + (f"?{query}" if query else "")


def _item_url(q: ModerationQueue, item_id: str, state: str) -> str:
    return f"/admin/moderation/{q.key}/{quote(item_id, safe='')}" + (f"?{state}" if state else "")


def _zoned(value: Any, tz: str | None) -> str:
    return localtime(value, tz) if tz else ""


async def _canned(q: ModerationQueue) -> list[dict[str, Any]]:
    return await reasons.for_queue(q.key)


async def _reason_from(form: dict[str, Any], canned: list[dict[str, Any]], language: str) -> str:
    """The typed reason, else the chosen canned reason in the author's language."""
    reason = str(form.get("reason") or "").strip()
    chosen = str(form.get("canned") or "")
    if not reason and chosen.isdigit():
        found = next((c for c in canned if c["id"] == int(chosen)), None)
        if found is not None:
            reason = reasons.text_for(found, language)
    return reason


class ModerationController(Controller):
    """``/admin/moderation/…``."""

    path = "/moderation"
    include_in_schema = False
    guards = [needs("admin.access")]

    @get("/", operation_id="admin_moderation_index")
    async def list_queues(self, request: Req) -> Response[str]:
        """Every queue the staff member may work on, with how many items wait."""
        staff = staff_of(request)
        queues = []
        for q in panel(request).contributions.queues.values():
            if staff.has(q.permission):
                queues.append({"queue": q, "count": await q.count()})
        return render(request, "admin/moderation_index.html", {"queues": queues}, staff=staff)

    @get("/{key:str}", operation_id="admin_moderation_queue")
    async def get_queue(self, request: Req, key: FromPath[str]) -> Response[str]:
        """One page of the queue in the chosen order, filtered and searched, with the total and who holds what."""
        q = _queue(request, key)
        staff = staff_of(request)
        query = _query(request, q)
        items, next_cursor = await q.list(query)
        total = await q.total(query) if q.total is not None else await q.count()
        authors = {i.author_id: await _author(i.author_id) for i in items if i.author_id is not None}
        held = await claims.holders(q.key, [str(i.id) for i in items])
        return render(request, "admin/moderation_queue.html", {
            "queue": q, "items": items, "authors": authors, "next_cursor": next_cursor, "query": query,
            "total": total, "held": held, "state": queueing.state_of(query, page_size()),
            "filters_state": queueing.state_of(query, page_size(), cursor=False), "zoned": _zoned,
            "done": DONE.get(request.query_params.get("done") or ""), "canned": await _canned(q),
            "limits": sorted({page_size(), 50, 100, MAX_LIMIT}),
        }, staff=staff)

    @post("/{key:str}/bulk", operation_id="admin_moderation_bulk", status_code=200)
    async def bulk(self, request: Req, key: FromPath[str]) -> Response[Any]:
        """Approve or reject the ticked items: a confirmation page first, then each through the plugin's service."""
        form = await checked_form(request)
        q = _queue(request, key)
        staff = staff_of(request)
        decision = str(form.get("decision") or "")
        if decision not in ("approve", "reject"):
            raise BadRequest("Choose approve or reject.", code="invalid_decision")
        ids = list(dict.fromkeys(i.strip()[:100] for i in values(form, "id") if i.strip()))
        state = str(form.get("state") or "")[:4000]
        if not ids:
            raise BadRequest("Select at least one row first.", code="nothing_selected")
        if len(ids) > MAX_LIMIT:
            raise BadRequest("Select at most %(max_limit)s rows at a time.", params={"max_limit": MAX_LIMIT},
                             code="too_many_selected")
        canned = await _canned(q)
        typed = str(form.get("reason") or "").strip()
        chosen = str(form.get("canned") or "")
        errors: dict[str, str] = {}
        if form.get("confirm") == "1" and decision == "reject":
            if not typed and not chosen.isdigit():
                errors["reason"] = N_("Tell the authors why (required).")
            elif len(typed) > MAX_REASON:
                errors["reason"] = N_("Keep the reason under 2000 characters.")
        if form.get("confirm") != "1" or errors:
            titles = []
            for item_id in ids:
                try:
                    titles.append((item_id, (await q.detail(item_id)).title))
                except SborError:
                    titles.append((item_id, "—"))
            return render(request, "admin/moderation_confirm.html", {
                "queue": q, "decision": decision, "ids": ids, "titles": titles, "state": state, "errors": errors,
                "reason": typed, "chosen": chosen, "canned": canned,
            }, status=422 if errors else 200, staff=staff)
        done, conflicts = 0, 0
        for item_id in ids:
            try:
                if decision == "approve":
                    await q.approve(item_id, staff.user_id)
                    reason = ""
                else:
                    detail = await q.detail(item_id)
                    reason = typed or await _reason_from(form, canned, await _language(detail.author_id))
                    await q.reject(item_id, staff.user_id, reason)
            except (Conflict, NotFound):
                conflicts += 1
                continue
            await claims.record_decision(q.key, item_id, staff.user_id, staff.display_name,
                                         "approved" if decision == "approve" else "rejected", reason)
            done += 1
        await _flash(request, decision, done, conflicts)
        return Redirect(_list_url(q, queueing.state_of(_kept(request, q, state), page_size(), cursor=False)),
                        status_code=303)

    @get("/{key:str}/{item_id:str}", operation_id="admin_moderation_item")
    async def get_item(self, request: Req, key: FromPath[str], item_id: FromPath[str]) -> Response[str]:
        """One item: claimed on opening; every field, its author and history, the decisions and the way on."""
        q = _queue(request, key)
        kept = await pending.take(request.query_params.get("resume"))
        state = queueing.state_of(_query(request, q), page_size())
        return await _detail_page(request, q, item_id, state=state, reason=kept.get("reason", ""),
                                  chosen=kept.get("canned", ""), resumed=bool(kept))

    @get(["/{key:str}/{item_id:str}/approve", "/{key:str}/{item_id:str}/reject", "/{key:str}/{item_id:str}/skip"],
         operation_id="admin_moderation_decision_form")
    async def decision_get(self, request: Req, key: FromPath[str], item_id: FromPath[str]) -> Response[Any]:
        """A decision's address opened in the browser (a bookmark, a sign-in coming back): the item's page."""
        q = _queue(request, key)
        query = request.url.query
        return Redirect(_item_url(q, item_id, "") + (f"?{query}" if query else ""), status_code=303)

    @get("/{key:str}/bulk", operation_id="admin_moderation_bulk_form")
    async def bulk_get(self, request: Req, key: FromPath[str]) -> Response[Any]:
        """The bulk address opened in the browser: back to the queue."""
        q = _queue(request, key)
        return Redirect(_list_url(q, request.url.query), status_code=303)

    @post("/{key:str}/{item_id:str}/approve", operation_id="admin_moderation_approve", status_code=200)
    async def approve_item(self, request: Req, key: FromPath[str], item_id: FromPath[str]) -> Response[Any]:
        """Approve through the plugin's service (which tells the author and writes the audit log)."""
        form = await checked_form(request)
        q = _queue(request, key)
        return await _decide(request, q, item_id, form, "approve", "")

    @post("/{key:str}/{item_id:str}/reject", operation_id="admin_moderation_reject", status_code=200)
    async def reject_item(self, request: Req, key: FromPath[str], item_id: FromPath[str]) -> Response[Any]:
        """Reject with a reason the author will read (typed, or a canned one in the author's language)."""
        form = await checked_form(request)
        q = _queue(request, key)
        state = str(form.get("state") or "")[:4000]
        detail = await q.detail(item_id)
        reason = await _reason_from(form, await _canned(q), await _language(detail.author_id))
        error = (N_("Tell the author why (required).") if not reason else
                 N_("Keep the reason under 2000 characters.") if len(reason) > MAX_REASON else None)
        if error:
            return await _detail_page(request, q, item_id, state=state, reason=reason, status=422,
                                      errors={"reason": error})
        return await _decide(request, q, item_id, form, "reject", reason)

    @post("/{key:str}/{item_id:str}/skip", operation_id="admin_moderation_skip", status_code=200)
    async def skip_item(self, request: Req, key: FromPath[str], item_id: FromPath[str]) -> Response[Any]:
        """Pass over this item (release the claim) and open the next one in the list's order."""
        form = await checked_form(request)
        q = _queue(request, key)
        staff = staff_of(request)
        state = str(form.get("state") or "")[:4000]
        await claims.skip(q.key, item_id, staff.user_id)
        nxt = await queueing.next_item(q, _kept(request, q, state), staff.user_id, item_id)
        return Redirect(_item_url(q, nxt, state) if nxt else _list_url(q, state), status_code=303)


async def _flash(request: Req, decision: str, done: int, conflicts: int) -> None:
    text = (i18n.ngettext("%(num)s item approved.", "%(num)s items approved.", done) if decision == "approve"
            else i18n.ngettext("%(num)s item rejected.", "%(num)s items rejected.", done)) % {"num": done}
    if conflicts:
        text += " " + i18n.ngettext("%(num)s was already decided by someone else.",
                                    "%(num)s were already decided by someone else.", conflicts) % {"num": conflicts}
    sess = request.scope.get("state", {}).get("admin_session")
    if sess is not None:
        await session.push_flash(sess, text)


async def _decide(request: Req, q: ModerationQueue, item_id: str, form: dict[str, Any], decision: str,
                  reason: str) -> Response[Any]:
    staff = staff_of(request)
    state = str(form.get("state") or "")[:4000]
    detail = await q.detail(item_id)
    try:
        if not detail.decidable:
            raise Conflict("This item was already decided.", code="already_decided")
        if decision == "approve":
            await q.approve(item_id, staff.user_id)
        else:
            await q.reject(item_id, staff.user_id, reason)
    except Conflict:
        return await _conflict_page(request, q, item_id, decision, reason, state)
    await claims.record_decision(q.key, item_id, staff.user_id, staff.display_name,
                                 "approved" if decision == "approve" else "rejected", reason)
    done = "approved" if decision == "approve" else "rejected"
    if form.get("and_next") == "1":
        nxt = await queueing.next_item(q, _kept(request, q, state), staff.user_id, item_id)
        if nxt is not None:
            return Redirect(_item_url(q, nxt, "&".join(x for x in (state, f"done={done}") if x)), status_code=303)
    return Redirect(_list_url(q, state, done), status_code=303)


async def _people(detail: QueueDetail) -> dict[Any, str]:
    people = {}
    for actor_id in {h.get("actor_id") for h in detail.history if h.get("actor_id") is not None}:
        person = await _author(actor_id)
        people[actor_id] = person.display_name if person else f"#{actor_id}"
    return people


async def _conflict_page(request: Req, q: ModerationQueue, item_id: str, tried: str, reason: str,
                         state: str) -> Response[str]:
    """409: someone decided first.

    Who, what and when (the panel's record, else the item's history); what the moderator typed stays on the page.
    """
    detail = await q.detail(item_id)
    record = await claims.decided(q.key, item_id)
    people = await _people(detail)
    last = detail.history[-1] if detail.history else None
    nxt = await queueing.next_item(q, _kept(request, q, state), staff_of(request).user_id, item_id)
    return render(request, "admin/moderation_conflict.html", {
        "queue": q, "item": detail, "record": record, "last": last, "people": people, "tried": tried,
        "reason": reason, "state": state, "list_url": _list_url(q, state),
        "next_url": _item_url(q, nxt, state) if nxt else None,
    }, status=409, staff=staff_of(request))


async def _detail_page(request: Req, q: ModerationQueue, item_id: str, *, state: str, reason: str = "",
                       chosen: str = "", errors: dict[str, str] | None = None, status: int = 200,
                       resumed: bool = False) -> Response[str]:
    staff = staff_of(request)
    detail = await q.detail(item_id)
    holder = await claims.claim(q.key, str(detail.id), staff.user_id, staff.display_name) if detail.decidable \
        else None
    return render(request, "admin/moderation_item.html", {
        "queue": q, "item": detail, "author": await _author(detail.author_id), "errors": errors or {},
        "author_language": await _language(detail.author_id),
        "zoned": _zoned,
        "reason": reason, "chosen": chosen, "people": await _people(detail), "holder": holder, "state": state,
        "list_url": _list_url(q, state), "canned": await _canned(q), "resumed": resumed,
        "done": DONE.get(request.query_params.get("done") or ""),
    }, status=status, staff=staff)
