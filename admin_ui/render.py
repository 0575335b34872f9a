"""Jinja2 rendering for the panel: template search path (plugins first), filters, the menu, and the contributions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from litestar import Request, Response

from admin_ui.accounts import Staff
from core import i18n
from core.admin import AdminPage, Chart, DashboardWidget, MenuEntry, ModerationQueue
from core.errors import ConfigError
from core.hooks import hookspecs
from core.hooks.manager import Registry
from core.i18n import N_

HERE = Path(__file__).parent
HTML = "text/html"  # Litestar adds "; charset=utf-8" to every text/* type (naming it here doubled it)


@dataclass
class Contributions:
    """Everything the enabled plugins contributed through ``register_admin_pages``."""

    pages: dict[tuple[str, str], AdminPage] = field(default_factory=dict)
    menu: list[MenuEntry] = field(default_factory=list)
    widgets: list[DashboardWidget] = field(default_factory=list)
    queues: dict[str, ModerationQueue] = field(default_factory=dict)
    charts: dict[str, Chart] = field(default_factory=dict)
    by_plugin: dict[str, list[Any]] = field(default_factory=dict)


@dataclass
class Panel:
    """The panel of one app: its Jinja environment and the plugins' contributions (built once per registry)."""

    env: Environment
    contributions: Contributions
    registry: Registry


def collect(registry: Registry) -> Contributions:
    """Gather and check contributions; a wrong type or a duplicate stops start-up naming the plugin."""
    out = Contributions()
    for plugin, item in registry.hooks.collect(hookspecs.register_admin_pages):
        out.by_plugin.setdefault(plugin, []).append(item)
        if isinstance(item, AdminPage):
            if (item.plugin, item.slug) in out.pages:
                raise ConfigError(f"plugin {plugin!r}: admin page {item.url} declared twice")
            out.pages[(item.plugin, item.slug)] = item
        elif isinstance(item, MenuEntry):
            out.menu.append(item)
        elif isinstance(item, DashboardWidget):
            out.widgets.append(item)
        elif isinstance(item, ModerationQueue):
            if item.key in out.queues:
                raise ConfigError(f"plugin {plugin!r}: moderation queue {item.key!r} declared twice")
            out.queues[item.key] = item
        elif isinstance(item, Chart):
            if item.key in out.charts:
                raise ConfigError(f"plugin {plugin!r}: chart {item.key!r} declared twice")
            out.charts[item.key] = item
        else:
            raise ConfigError(f"plugin {plugin!r}: register_admin_pages returned {type(item).__name__}; "
                              "use the types of core.admin")
    out.widgets.sort(key=lambda w: (w.order, w.plugin, w.name))
    return out


def build_env(registry: Registry) -> Environment:
    """Plugins' template directories (later plugins first, so they override) before the panel's own."""
    dirs = [str(d) for _plugin, d in reversed(registry.hooks.collect(hookspecs.register_template_dirs))]
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(dirs), FileSystemLoader(str(HERE / "templates"))]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # {% trans %}, {{ _("…") }} and {{ ngettext(…) }} in the current locale (set per request from the staff member's
    # language); newstyle: placeholders are filled (and escaped) by Jinja: {{ _("%(n)s items", n=count) }}.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext, npgettext=i18n.npgettext)
    env.filters["t"] = translate_text  # labels declared by plugins (English) translated where shown
    env.filters["number"] = i18n.format_number
    env.filters["date"] = i18n.format_date
    env.globals["keep"] = keep_query
    env.filters["pretty_json"] = lambda v: json.dumps(v, ensure_ascii=False, default=str, sort_keys=True)
    return env


def translate_text(value: Any) -> str:
    """A label declared in code (a plugin's column, action, title) in the current language; plain text, escaped."""
    return i18n.gettext(value) if isinstance(value, str) else ("" if value is None else str(value))


def localtime(value: datetime | None, tz: str) -> str:
    """An aware datetime in the staff member's time zone, formatted for their language."""
    if value is None:
        return ""
    try:
        return i18n.format_datetime(value, "medium", tz=tz)
    except LookupError:  # an unknown zone name
        return i18n.format_datetime(value, "medium", tz="UTC")


def language_of(request: Request[Any, Any, Any], staff: Staff | None) -> str:
    """The panel's language: the staff member's (their profile), else the switch's cookie, else Accept-Language."""
    if staff is not None and staff.language:
        return i18n.pick(staff.language)
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen:
        return i18n.pick(chosen)
    return i18n.negotiate(request.headers.get("accept-language")) or i18n.DEFAULT


LANGUAGE_COOKIE = "sbor_admin_lang"
LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}


def keep_query(request: Request[Any, Any, Any], **changes: Any) -> str:
    """The current query string with ``changes`` applied (``None`` removes a key): filters survive paging."""
    params = {k: v for k, v in request.query_params.items() if k not in ("done",)}
    for k, v in changes.items():
        if v is None:
            params.pop(k, None)
        else:
            params[k] = v
    return urlencode(params)


_panels: dict[int, Panel] = {}


def panel(request: Request[Any, Any, Any]) -> Panel:
    """The panel of the app serving ``request``."""
    registry: Registry = request.app.state["registry"]
    found = _panels.get(id(registry))
    if found is None or found.registry is not registry:
        found = Panel(build_env(registry), collect(registry), registry)
        _panels[id(registry)] = found
    return found


CORE_MENU = [  # titles and sections translated where the menu is shown
    (N_("Dashboard"), "/admin/", "admin.access", N_("Overview")),
    (N_("Moderation"), "/admin/moderation", "admin.access", N_("Overview")),
    (N_("Charts"), "/admin/charts", "admin.access", N_("Overview")),
    (N_("Users"), "/admin/users", "users.view", N_("People")),
    (N_("Roles"), "/admin/roles", "roles.edit", N_("People")),
    (N_("Audit log"), "/admin/audit", "admin.audit", N_("System")),
    (N_("Plugins"), "/admin/plugins", "admin.plugins", N_("System")),
]


def charts_of(p: Panel) -> list[Chart]:
    """The panel's own charts (``admin_ui.charts``) and the plugins', in their order."""
    from admin_ui.charts import BUILT_IN

    return sorted([*BUILT_IN, *p.contributions.charts.values()], key=lambda c: (c.order, c.plugin, c.name))


def menu_for(p: Panel, staff: Staff) -> list[tuple[str, list[tuple[str, str]]]]:
    """The side menu: sections of ``(title, url)`` the staff member may open."""
    sections: dict[str, list[tuple[str, str]]] = {}
    for title, url, perm, section in CORE_MENU:
        if url == "/admin/moderation":  # shown by what it links to: a queue the staff member may work on
            if not any(staff.has(q.permission) for q in p.contributions.queues.values()):
                continue
        if url == "/admin/charts" and not any(staff.has(c.permission) for c in charts_of(p)):
            continue
        if staff.has(perm):
            sections.setdefault(section, []).append((title, url))
    for page in sorted(p.contributions.pages.values(), key=lambda x: (x.section, x.title)):
        if page.menu and staff.has(page.permission):
            sections.setdefault(page.section, []).append((page.title, page.url))
    for entry in sorted(p.contributions.menu, key=lambda e: (e.order, e.title)):
        if staff.has(entry.permission):
            sections.setdefault(entry.section, []).append((entry.title, entry.url))
    return list(sections.items())


def render(
    request: Request[Any, Any, Any],
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    staff: Staff | None = None,
) -> Response[str]:
    """Render a page (full or, for htmx requests, the same template: htmx swaps what it targets)."""
    p = panel(request)
    sess = request.scope.get("state", {}).get("admin_session")
    tz = staff.timezone if staff else "UTC"
    language = language_of(request, staff)
    ctx: dict[str, Any] = {
        "request": request,
        "staff": staff,
        "menu": menu_for(p, staff) if staff else [],
        "csrf_token": sess.csrf if sess else "",
        "path": request.url.path,
        "dt": lambda v: localtime(v, tz),
        "show": lambda v: localtime(v, tz) if isinstance(v, datetime) else ("—" if v is None or v == "" else v),
        "timezone": tz,
        "language": language,
        "languages": LANGUAGE_NAMES,
    }
    ctx.update(context or {})
    if not ctx.get("done"):  # a message kept by the POST that redirected here (session.push_flash)
        ctx["done"] = request.scope.get("state", {}).get("admin_flash")
    with i18n.use_locale(language):
        html = p.env.get_template(template).render(ctx)
    return Response(content=html, status_code=status, media_type=HTML,
                    headers={"Content-Language": language, "Vary": "Accept-Language, Cookie",
                             "Cache-Control": "no-store", "X-Frame-Options": "DENY",
                             "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                             "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
                             "Referrer-Policy": "same-origin"})
