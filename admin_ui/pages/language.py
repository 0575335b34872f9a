"""The panel's language switch: a cookie for the sign-in page, the staff member's profile language once signed in."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.response import Redirect

from admin_ui import session
from admin_ui.pages.signin import safe_next
from admin_ui.render import LANGUAGE_COOKIE
from admin_ui.web import checked_form, resolve_staff
from core import i18n
from core.users import profiles


class LanguageController(Controller):
    """``POST /admin/language``: ``language`` (en, ru) and ``next`` (where to go back)."""

    path = "/language"
    include_in_schema = False

    @post("/", operation_id="admin_set_language", status_code=303)
    async def set_language(self, request: Request[Any, Any, Any]) -> Redirect:
        """Remember the choice; a signed-in staff member's profile language changes too (it follows them)."""
        staff = await resolve_staff(request)
        form = await checked_form(request) if staff is not None else dict(await request.form())
        language = i18n.pick(str(form.get("language") or ""))
        if staff is not None and staff.language != language:
            await profiles.update_me(staff.user_id, {"language": language})
        response = Redirect(safe_next(str(form.get("next") or "")), status_code=303)
        response.set_cookie(LANGUAGE_COOKIE, language, httponly=True, samesite="lax", path="/admin",
                            secure=session.cookie_secure(request.url.scheme), max_age=365 * 24 * 3600)
        return response
