"""Request plumbing of the panel: the staff guard, CSRF-checked forms, HTML error pages, the page size."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect

from admin_ui import accounts, pending, session
from admin_ui.accounts import Staff
from admin_ui.render import keep_query, language_of, render
from core import i18n
from core.errors import NotFound, PermissionDenied, SborError
from core.http.middleware import INT4_MAX, client_ip
from core.i18n import N_
from core.pagination import InvalidCursor

log = logging.getLogger("admin_ui")


class NotSignedIn(Exception):
    """No live staff session: the handler answers with a redirect to the sign-in page."""

    def __init__(self, resume: str | None = None) -> None:
        super().__init__("not signed in")
        self.resume = resume  # the token of a form posted after the session expired (admin_ui.pending)


async def resolve_staff(connection: ASGIConnection[Any, Any, Any, Any]) -> Staff | None:
    """The staff member behind the session cookie (cached on the request), else None."""
    state = connection.scope.setdefault("state", {})
    if "admin_staff" in state:
        return state["admin_staff"]  # type: ignore[no-any-return]
    sess = await session.load_session(connection.cookies.get(session.COOKIE))
    staff = await accounts.load_staff(sess.user_id, sess.timezone) if sess else None
    if staff is not None and not accounts.is_staff_set(staff.permissions):
        staff = None  # demoted since sign-in
    state["admin_session"] = sess if staff else None
    state["admin_staff"] = staff
    if staff is not None:  # messages made by the handler (flash, errors) in the staff member's language
        i18n.set_locale(staff.language)
    if staff is not None and sess is not None and connection.scope.get("method") == "GET" \
            and not connection.headers.get("hx-request"):
        state["admin_flash"] = await session.pop_flash(sess)
    return staff


def needs(permission: str) -> Any:
    """Guard: a signed-in staff member holding ``permission``; otherwise the sign-in page or the 403 page."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        staff = await resolve_staff(connection)
        if staff is None:
            if isinstance(connection, Request) and connection.method == "POST" \
                    and not connection.headers.get("hx-request"):
                # The session expired while a form was being filled in: keep what was typed across the sign-in.
                form = await connection.form()
                raise NotSignedIn(await pending.stash({k: form.get(k) for k in form}))
            raise NotSignedIn()
        if not staff.has(permission):
            raise PermissionDenied("This page needs the permission %(permission)s.",
                                   params={"permission": permission}, code="permission_denied")

    guard.__name__ = f"needs_{permission.replace('.', '_')}"
    return guard


def staff_of(request: Request[Any, Any, Any]) -> Staff:
    """The staff member resolved by the guard."""
    staff = request.scope.get("state", {}).get("admin_staff")
    assert staff is not None, "admin handler without a needs() guard"
    return staff  # type: ignore[no-any-return]


async def checked_form(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """Parse a POSTed form and check its CSRF token against the session's (403 when missing or wrong)."""
    form = await request.form()
    sess = request.scope.get("state", {}).get("admin_session")
    token = form.get(session.CSRF_FIELD) or request.headers.get("x-csrf-token")
    if sess is None or not session.csrf_ok(sess, token):
        raise PermissionDenied("The form expired or did not come from this panel; reload the page and try again.",
                               code="csrf_failed")
    return {k: form.getall(k) if len(form.getall(k)) > 1 else form.get(k) for k in form}


def values(form: dict[str, Any], name: str) -> list[str]:
    """All values of a multi-valued form field (checkboxes)."""
    v = form.get(name)
    if v is None:
        return []
    return [str(x) for x in v] if isinstance(v, list) else [str(v)]


def ip_of(request: Request[Any, Any, Any]) -> str:
    """The caller's address (proxies believed per core settings)."""
    return client_ip(request.scope)


def page_size() -> int:
    """Rows per page of every list in the panel: the ``page_size`` setting (1..200, checked at start-up)."""
    return session.settings().page_size


async def ids_in_range(request: Request[Any, Any, Any]) -> None:
    """An integer id no row can have (PostgreSQL integers) names nothing: 404, before any query overflows."""
    if any(isinstance(v, int) and not -INT4_MAX - 1 <= v <= INT4_MAX for v in request.path_params.values()):
        raise NotFound("No such object.")


def on_not_signed_in(request: Request[Any, Any, Any], exc: NotSignedIn) -> Response[Any]:
    """Anonymous: to the sign-in page, coming back here afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if exc.resume:  # back to the page the form was on (never GET the POST's address), the fields kept
        target = pending.with_resume(pending.resume_target(request.url.path, request.url.query,
                                                           request.headers.get("referer"), request.headers.get("host")),
                                     exc.resume)
    if request.headers.get("hx-request"):
        return Response(content="", status_code=401, headers={"HX-Redirect": "/admin/login"})
    return Redirect(f"/admin/login?next={quote(target)}", status_code=303)


def on_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Errors under /admin as HTML pages (403, 404, 409, 429…), never a stack trace; in the panel's language."""
    staff = request.scope.get("state", {}).get("admin_staff")
    if isinstance(exc, SborError):
        with i18n.use_locale(language_of(request, staff)):
            status, title, detail, headers = exc.status, exc.localized_title(), exc.localized(), exc.headers
    elif isinstance(exc, HTTPException):
        status, title = exc.status_code, N_("Error")
        detail = exc.detail if status < 500 else N_("Something went wrong.")
        headers = dict(exc.headers or {})
    else:
        log.exception("admin: unhandled error on %s %s", request.method, request.url.path)
        status, title, detail, headers = 500, N_("Error"), N_("Something went wrong; it was logged."), {}
    context: dict[str, Any] = {"status": status, "title": title, "detail": detail}
    if isinstance(exc, SborError) and exc.code == InvalidCursor.code:  # the class, or a plugin's own BadRequest
        # A list page opened with a link it never gave out (edited, truncated, from another list or outdated):
        # say so and offer the same list from the top, filters kept; never restart silently.
        query = keep_query(request, cursor=None)
        context.update(title=InvalidCursor.title,
                       detail=N_("This page link is not valid: it was changed, cut short, or belongs to another list."),
                       back_url=request.url.path + (f"?{query}" if query else ""),
                       back_label=N_("Go to the first page"))
    response = render(request, "admin/error.html", context, status=status, staff=staff)
    response.headers.update(headers)
    return response


EXCEPTION_HANDLERS: dict[Any, Any] = {NotSignedIn: on_not_signed_in, SborError: on_error, HTTPException: on_error,
                                      Exception: on_error}
