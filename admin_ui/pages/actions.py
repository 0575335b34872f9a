"""Plugins' declared actions (row and bulk, with fields and a confirmation) and create/edit forms, POST/redirect/GET."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from admin_ui import forms, pending, session
from admin_ui.pages.extension import page_of, safe_back
from admin_ui.render import render
from admin_ui.web import checked_form, ip_of, needs, staff_of, values
from core.admin import Action, ActionContext, AdminPage, Field, Form
from core.errors import BadRequest, NotFound, PermissionDenied, ValidationFailed
from core.http.context import request_id
from core.pagination import MAX_LIMIT

MAX_ID = 200


def _action(page: AdminPage, name: str, request: Request[Any, Any, Any]) -> Action:
    action = page.action(name)
    if action is None:
        raise NotFound("This page has no such action.", code="action_not_found")
    if not staff_of(request).has(action.permission):
        raise PermissionDenied("This action needs the permission %(permission)s.",
                               params={"permission": action.permission}, code="permission_denied")
    return action


def _ids(action: Action, raw: Sequence[str]) -> tuple[str, ...]:
    ids = tuple(dict.fromkeys(i.strip() for i in raw if i.strip()))
    if not ids:
        raise BadRequest("Select at least one row first.", code="nothing_selected")
    if len(ids) > MAX_LIMIT:
        raise BadRequest("Select at most %(max_limit)s rows at a time.",
                         params={"max_limit": MAX_LIMIT}, code="too_many_selected")
    if any(len(i) > MAX_ID for i in ids):
        raise BadRequest("An object id is too long.", code="invalid_id")
    if len(ids) > 1 and not action.bulk:
        raise BadRequest("This action works on one object at a time.", code="not_a_bulk_action")
    return ids


def _form(page: AdminPage, request: Request[Any, Any, Any], *, create: bool) -> Form:
    form = page.form
    if form is None or (create and not form.creatable) or (not create and not form.editable):
        raise NotFound("This page has no such form.", code="form_not_found")
    permission = form.permission or page.permission
    if not staff_of(request).has(permission):
        raise PermissionDenied("This form needs the permission %(permission)s.",
                               params={"permission": permission}, code="permission_denied")
    return form


def _context(request: Request[Any, Any, Any], ids: tuple[str, ...], vals: Mapping[str, Any]) -> ActionContext:
    staff = staff_of(request)
    return ActionContext(staff_id=staff.user_id, ids=ids, values=vals, request_id=request_id.get(),
                         ip=ip_of(request), timezone=staff.timezone)


async def _done(request: Request[Any, Any, Any], message: str, target: str) -> Response[Any]:
    sess = request.scope.get("state", {}).get("admin_session")
    if sess is not None and message:
        await session.push_flash(sess, message)
    return Redirect(target, status_code=303)


def _action_page(request: Request[Any, Any, Any], page: AdminPage, action: Action, ids: tuple[str, ...], back: str,
                 typed: Mapping[str, Any], errors: Mapping[str, str] | None = None, general: str = "",
                 status: int = 200) -> Response[str]:
    return render(request, "admin/plugin_action.html", {
        "page": page, "action": action, "ids": ids, "back": back, "values": typed, "errors": errors or {},
        "general_error": general,
    }, status=status, staff=staff_of(request))


def _form_page(request: Request[Any, Any, Any], page: AdminPage, fields: Sequence[Field], object_id: str | None,
               back: str, typed: Mapping[str, Any], errors: Mapping[str, str] | None = None, general: str = "",
               status: int = 200) -> Response[str]:
    action = f"{page.url}/new" if object_id is None else f"{page.url}/o/{quote(object_id, safe='')}/edit"
    return render(request, "admin/plugin_form.html", {
        "page": page, "fields": fields, "object_id": object_id, "form_action": action, "back": back,
        "values": typed, "errors": errors or {}, "general_error": general,
    }, status=status, staff=staff_of(request))


class PluginActionsController(Controller):
    """``/admin/p/<plugin>/<slug>/actions/<name>``, ``…/new`` and ``…/o/<id>/edit``."""

    path = "/p"
    include_in_schema = False
    guards = [needs("admin.access")]

    @get("/{plugin:str}/{slug:str}/actions/{name:str}", operation_id="admin_plugin_action_form")
    async def get_action(self, request: Request[Any, Any, Any], plugin: FromPath[str], slug: FromPath[str],
                         name: FromPath[str]) -> Response[str]:
        """The action's fields and confirmation for ``?id=`` (one or many), returning to ``?back=``."""
        page = page_of(request, plugin, slug)
        action = _action(page, name, request)
        ids = _ids(action, request.query_params.getall("id", []))
        back = safe_back(request.query_params.get("back"), page.url)
        kept = await pending.take(request.query_params.get("resume"))  # typed before the session expired
        if kept:
            return _action_page(request, page, action, ids, back, forms.raw_of(action.fields, kept))
        return _action_page(request, page, action, ids, back, forms.shown(action.fields, None, staff_of(request)
                                                                          .timezone))

    @post("/{plugin:str}/{slug:str}/actions/{name:str}", operation_id="admin_plugin_action", status_code=200)
    async def run_action(self, request: Request[Any, Any, Any], plugin: FromPath[str], slug: FromPath[str],
                         name: FromPath[str]) -> Response[Any]:
        """Run the action on the posted ids: first its confirmation and fields, then ``run``, then back with a flash.

        Errors of the fields or a ``ValidationFailed`` from ``run`` show the form again with what was typed.
        """
        form = await checked_form(request)
        page = page_of(request, plugin, slug)
        action = _action(page, name, request)
        ids = _ids(action, values(form, "id"))
        back = safe_back(form.get("back"), page.url)
        typed = forms.raw_of(action.fields, form)
        if str(form.get("confirmed") or "") != "1" and (action.fields or action.confirm):
            return _action_page(request, page, action, ids, back, forms.shown(action.fields, None,
                                                                              staff_of(request).timezone))
        vals, errors = forms.convert(action.fields, form, staff_of(request).timezone)
        if errors:
            return _action_page(request, page, action, ids, back, typed, errors, status=422)
        try:
            result = await action.run(_context(request, ids, vals))
        except ValidationFailed as exc:
            errors, general = forms.errors_of(exc, action.fields)
            return _action_page(request, page, action, ids, back, typed, errors, general, status=422)
        message = result.message if result and result.message else (
            f"{action.label}: done." if len(ids) == 1 else f"{action.label}: done for {len(ids)} selected.")
        return await _done(request, message, result.redirect if result and result.redirect else back)

    @get("/{plugin:str}/{slug:str}/new", operation_id="admin_plugin_create_form")
    async def new_object(self, request: Request[Any, Any, Any], plugin: FromPath[str],
                         slug: FromPath[str]) -> Response[str]:
        """The empty create form (the fields' defaults)."""
        page = page_of(request, plugin, slug)
        form = _form(page, request, create=True)
        back = safe_back(request.query_params.get("back"), page.url)
        return _form_page(request, page, form.fields, None, back,
                          forms.shown(form.fields, None, staff_of(request).timezone))

    @post("/{plugin:str}/{slug:str}/new", operation_id="admin_plugin_create", status_code=200)
    async def create_object(self, request: Request[Any, Any, Any], plugin: FromPath[str],
                            slug: FromPath[str]) -> Response[Any]:
        """Create through the form's ``save``; then the new object's page."""
        return await _save(request, plugin, slug, None)

    @get("/{plugin:str}/{slug:str}/o/{object_id:str}/edit", operation_id="admin_plugin_edit_form")
    async def edit_object(self, request: Request[Any, Any, Any], plugin: FromPath[str], slug: FromPath[str],
                          object_id: FromPath[str]) -> Response[str]:
        """The edit form, filled with the object's current values."""
        page = page_of(request, plugin, slug)
        form = _form(page, request, create=False)
        current = await form.load(object_id)
        if current is None:
            raise NotFound("This object does not exist (any more).", code="object_not_found")
        back = safe_back(request.query_params.get("back"), page.url)
        return _form_page(request, page, form.fields, object_id, back,
                          forms.shown(form.fields, current, staff_of(request).timezone))

    @post("/{plugin:str}/{slug:str}/o/{object_id:str}/edit", operation_id="admin_plugin_update", status_code=200)
    async def update_object(self, request: Request[Any, Any, Any], plugin: FromPath[str], slug: FromPath[str],
                            object_id: FromPath[str]) -> Response[Any]:
        """Save through the form's ``save``; then back where the staff member came from."""
        return await _save(request, plugin, slug, object_id)


async def _save(request: Request[Any, Any, Any], plugin: str, slug: str, object_id: str | None) -> Response[Any]:
    posted = await checked_form(request)
    page = page_of(request, plugin, slug)
    form = _form(page, request, create=object_id is None)
    if object_id is not None and await form.load(object_id) is None:
        raise NotFound("This object does not exist (any more).", code="object_not_found")
    back = safe_back(posted.get("back"), page.url)
    typed = forms.raw_of(form.fields, posted)
    vals, errors = forms.convert(form.fields, posted, staff_of(request).timezone)
    if errors:
        return _form_page(request, page, form.fields, object_id, back, typed, errors, status=422)
    try:
        saved = await form.save(_context(request, () if object_id is None else (object_id,), vals), object_id, vals)
    except ValidationFailed as exc:
        errors, general = forms.errors_of(exc, form.fields)
        return _form_page(request, page, form.fields, object_id, back, typed, errors, general, status=422)
    if object_id is None:
        target = page.object_url(saved) if page.detail is not None else back
        return await _done(request, "Created.", target)
    return await _done(request, "Saved.", back)
