"""Staff sign-in (password, then TOTP when enrolled) and logout."""

from __future__ import annotations

import secrets
from typing import Any
from zoneinfo import available_timezones

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from admin_ui import accounts, audit, session
from admin_ui.render import language_of, render
from admin_ui.web import checked_form, ip_of, needs, resolve_staff, staff_of
from core import i18n, ratelimit
from core.errors import NotAuthenticated, RateLimited
from core.i18n import N_

LOGIN_CSRF_COOKIE = "sbor_admin_login"


SECOND_FACTOR_CODES = frozenset({"totp_setup_required", "totp_required", "totp_invalid"})
"""Answers that come after the password was checked (so they must not reach someone who is not staff)."""


def _wrong_credentials(request: Request[Any, Any, Any], next_url: str, email: str, code: str) -> Response[str]:
    text = N_("This account is not active.") if code == "account_inactive" else N_("Email or password is wrong.")
    return _login_page(request, next_url=next_url, email=email, status=401, message=text)


def safe_next(target: str | None) -> str:
    """Only a path inside the panel: no open redirect to another site."""
    if target and target.startswith("/admin") and not target.startswith("//") and "\\" not in target:
        return target
    return "/admin/"


def _too_many(request: Request[Any, Any, Any], seconds: int) -> str:
    """The throttled sign-in's message, in the language of the sign-in page."""
    with i18n.use_locale(language_of(request, None)):
        return i18n.gettext("Too many attempts; try again in %(seconds)s s.") % {"seconds": seconds}


def _login_page(request: Request[Any, Any, Any], *, next_url: str, email: str = "",
                errors: dict[str, str] | None = None, message: str = "", ask_code: bool = False,
                status: int = 200) -> Response[str]:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(request, "admin/login.html", {
        "next_url": next_url, "email": email, "errors": errors or {}, "message": message, "ask_code": ask_code,
        "login_csrf": token,
    }, status=status)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/admin",
                        secure=session.cookie_secure(request.url.scheme), max_age=3600)
    return response


class SignInController(Controller):
    """``/admin/login`` and ``/admin/logout``."""

    path = "/"
    include_in_schema = False

    @get("/login", operation_id="admin_login_form")
    async def login_form(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """The sign-in form (or straight in when already signed in)."""
        next_url = safe_next(request.query_params.get("next"))
        if await resolve_staff(request) is not None:
            return Redirect(next_url, status_code=303)
        return _login_page(request, next_url=next_url)

    @post("/login", operation_id="admin_login", status_code=200)
    async def login(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Check the password (and TOTP), then open a server-side session and set the cookie."""
        form = await request.form()
        next_url = safe_next(form.get("next"))
        email = str(form.get("email") or "").strip().lower()[:254]
        password = str(form.get("password") or "")[:1024]
        code = str(form.get("code") or "").strip()[:12]
        cookie_token = request.cookies.get(LOGIN_CSRF_COOKIE)
        if not cookie_token or not session.csrf_ok(session.AdminSession(0, cookie_token, 0), form.get("_csrf")):
            return _login_page(request, next_url=next_url, email=email, status=403,
                               message=N_("The sign-in form expired; please try again."))
        errors = {}
        if not email:
            errors["email"] = N_("Enter your email.")
        if not password:
            errors["password"] = N_("Enter your password.")
        if code and not code.replace("-", "").isalnum():
            errors["code"] = N_("Codes have digits (or a recovery code like abcd-efgh).")
        if errors:
            return _login_page(request, next_url=next_url, email=email, errors=errors, status=422)
        limit = session.settings().login_limit
        ip = ip_of(request)
        try:
            await ratelimit.hit("admin.login", ip, limit=limit, window_s=60)
            await ratelimit.hit("admin.login.email", email, limit=limit, window_s=60)
        except RateLimited as exc:
            response = _login_page(request, next_url=next_url, email=email, status=429,
                                   message=_too_many(request, exc.retry_after))
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        try:
            user_id = await accounts.authenticate(email, password, code, session.settings().require_totp, ip)
        except RateLimited as exc:
            response = _login_page(request, next_url=next_url, email=email, status=429,
                                   message=_too_many(request, exc.retry_after))
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except NotAuthenticated as exc:
            # Past the password, a second-factor answer would confirm it: to someone who is not staff, every such
            # answer is the wrong-password one (same status, text and audit reason).
            code = exc.code
            if code in SECOND_FACTOR_CODES and not await accounts.is_staff_account(email):
                code = "invalid_credentials"
            await audit.record(None, "login_failed", "user", "", actor_label=email, ip=ip, reason=code)
            if code in ("totp_required", "totp_invalid"):
                text = (N_("Enter the 6-digit code from your authenticator app.") if code == "totp_required"
                        else N_("This code is wrong or was already used."))
                return _login_page(request, next_url=next_url, email=email, status=401, errors={"code": text})
            if code == "totp_setup_required":
                return render(request, "admin/error.html", {
                    "status": 403, "title": N_("Second factor required"),
                    "detail": N_("Staff must turn on an authenticator app (TOTP) in their account before signing in.")},
                    status=403)
            return _wrong_credentials(request, next_url, email, code)
        staff = await accounts.load_staff(user_id, "UTC")
        if staff is None or not accounts.is_staff_set(staff.permissions):
            # Not staff: the same answer as a wrong password (the panel's own page would confirm the password).
            await audit.record(None, "login_failed", "user", "", actor_label=email, ip=ip,
                               reason="invalid_credentials")
            return _wrong_credentials(request, next_url, email, "invalid_credentials")
        tz = str(form.get("timezone") or "UTC")
        if tz not in available_timezones():
            tz = "UTC"
        token, _sess = await session.open_session(user_id, tz)
        await ratelimit.reset("admin.login.email", email, window_s=60)
        await audit.record(user_id, "login", "user", user_id, actor_label=email, ip=ip)
        done: Response[Any] = Redirect(next_url, status_code=303)
        done.set_cookie(session.COOKIE, token, httponly=True, samesite="lax", path="/admin",
                        secure=session.cookie_secure(request.url.scheme), max_age=session.settings().session_max_s)
        done.delete_cookie(LOGIN_CSRF_COOKIE, path="/admin")
        return done

    @post("/logout", operation_id="admin_logout", guards=[needs("admin.access")], status_code=200)
    async def logout(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """End this session."""
        await checked_form(request)
        staff = staff_of(request)
        await session.close_session(request.cookies.get(session.COOKIE))
        await audit.record(staff.user_id, "logout", "user", staff.user_id, actor_label=staff.email, ip=ip_of(request))
        response: Response[Any] = Redirect("/admin/login", status_code=303)
        response.delete_cookie(session.COOKIE, path="/admin")
        return response
