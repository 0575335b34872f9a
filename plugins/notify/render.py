"""Rendering a notification in the recipient's language from its kind's templates, and the filters they use.

A kind ``<plugin>.<kind>`` is rendered from ``<plugin>/notifications/<language>/<kind>.txt`` (blocks ``subject``,
``short`` and ``body``) and optionally ``….html``, found in the template directories of the enabled plugins
(``register_template_dirs``). The context is the notice's plus ``name``, ``language``, ``timezone`` and, for
reminders, ``offset_min``. Filters: ``{{ moment | when }}`` (in the recipient's timezone, or ``when(tz)``) and
``{{ offset_min | in_text }}`` ("in 24 hours").
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    meta,
    nodes,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context
from markupsafe import escape

from core import i18n
from core.hooks import hookspecs
from core.hooks.manager import Registry, current
from core.notifications import NotificationKind

LANGUAGES = i18n.LANGUAGES

WHEN_PATTERN = "d MMM y, HH:mm"
"""How ``when`` prints a moment (month names and abbreviations from the recipient's locale, through Babel)."""


@dataclass(frozen=True)
class Rendered:
    """A message in one language: subject (also the push title), short text (push, SMS), text and HTML bodies."""

    language: str
    subject: str
    short: str
    text: str
    html: str


@lru_cache(maxsize=8)
def _environment(dirs: tuple[str, ...]) -> Environment:
    env = Environment(loader=FileSystemLoader(list(dirs)), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, keep_trailing_newline=True,
                      auto_reload=False)  # no stat() per render: templates change with a deploy
    env.filters["when"] = _when_filter
    env.filters["in_text"] = _in_text_filter
    env.filters["number"] = i18n.format_number
    env.add_extension("jinja2.ext.i18n")
    # {{ ngettext("%(num)d seat", "%(num)d seats", n) }} and {{ _("…") }}: rendered in the recipient's language
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext, npgettext=i18n.npgettext)
    return env


_environments: dict[int, tuple[Registry, Environment]] = {}


def environment() -> Environment:
    """The Jinja2 environment over every plugin's template directories (later plugins override earlier ones).

    Looked up once per plugin set, not per message (collecting the directories through the hook every time was a
    tenth of a render).
    """
    registry = current()
    cached = _environments.get(id(registry))
    if cached is None or cached[0] is not registry:  # the registry is held, so its id is not reused meanwhile
        dirs = [d for _p, d in registry.hooks.collect(hookspecs.register_template_dirs)]
        cached = _environments[id(registry)] = (registry, _environment(tuple(reversed(dirs))))
    return cached[1]


@lru_cache(maxsize=256)
def _template(env: Environment, name: str) -> Template | None:
    """A compiled template, or None when the kind has none in that format (looked up once, not per message)."""
    try:
        return env.get_template(name)
    except TemplateNotFound:
        return None


def pick_language(language: str | None, default: str) -> str:
    """The user's language if we have templates for it (``ru-RU`` → ``ru``), else the platform default."""
    return i18n.pick(language, default)


def zone(name: str | None, default: str = "UTC") -> ZoneInfo:
    """An IANA timezone, falling back to ``default`` for unknown names."""
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


@lru_cache(maxsize=1024)  # a chunk of reminders formats the same moment for every recipient
def format_when(value: str | datetime | None, tz_name: str | None, language: str) -> str:
    """``5 Dec 2026, 19:00 (Europe/Berlin)``-like text in the given timezone, month names per language (Babel)."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = moment.astimezone(zone(tz_name))
    with i18n.use_locale(language):
        text = i18n.format_datetime(local, WHEN_PATTERN)
    return f"{text} ({local.tzname() if tz_name is None else tz_name})"


@lru_cache(maxsize=256)
def in_text(minutes: int | None, language: str) -> str:
    """``in 24 hours`` in the given language (plural forms from the catalogue: 1 час, 2 часа, 5 часов)."""
    m = int(minutes or 0)
    with i18n.use_locale(language):
        if m % 60 == 0 and m >= 60:
            h = m // 60
            return i18n.ngettext("in %(num)d hour", "in %(num)d hours", h) % {"num": h}
        return i18n.ngettext("in %(num)d minute", "in %(num)d minutes", m) % {"num": m}


@pass_context
def _when_filter(context: Context, value: str | datetime | None, tz_name: str | None = None) -> str:
    return format_when(value, tz_name or context.get("timezone"), context.get("language", "en"))


@pass_context
def _in_text_filter(context: Context, minutes: int | None) -> str:
    return in_text(minutes, context.get("language", "en"))


def template_name(kind: NotificationKind, language: str, extension: str) -> str:
    """Where a kind's template lives: ``<plugin>/notifications/<language>/<kind>.<extension>``."""
    return f"{kind.plugin}/notifications/{language}/{kind.short_name}.{extension}"


def render(kind: NotificationKind, context: Mapping[str, Any], language: str, name: str = "", timezone: str = "UTC",
           offset_min: int | None = None) -> Rendered:
    """Render a notification of ``kind`` in ``language`` (already picked with :func:`pick_language`)."""
    return _finish(language, _render_raw(kind, context, language, name, timezone, offset_min))


def _render_raw(kind: NotificationKind, context: Mapping[str, Any], language: str, name: str, timezone: str,
                offset_min: int | None) -> tuple[str, str, str, str]:
    """The subject, short, body and HTML as the templates print them (before trimming)."""
    env = environment()
    ctx = {**context, "name": name, "language": language, "timezone": timezone, "offset_min": offset_min}
    txt = _template(env, template_name(kind, language, "txt"))
    if txt is None:
        raise TemplateNotFound(template_name(kind, language, "txt"))
    with i18n.use_locale(language):  # gettext, plural forms and numbers in the templates: the recipient's language
        tpl_context = txt.new_context(ctx)  # one context for the three blocks (building it was a tenth of the CPU)
        subject, short, body = ("".join(txt.blocks[block](tpl_context)) for block in ("subject", "short", "body"))
        page = _template(env, template_name(kind, language, "html"))
        return subject, short, body, "" if page is None else page.render(ctx)


def _finish(language: str, raw: tuple[str, str, str, str]) -> Rendered:
    subject, short, body, html = raw
    return Rendered(language, " ".join(subject.split()), short.strip(), body.strip() + "\n", html)


# Stands for the recipient's name in a rendering shared by many recipients (private-use characters and a per-process
# random part: no context value contains it, and HTML escaping leaves it as it is).
_NAME = f"\ue000{secrets.token_hex(8)}\ue001"


def render_shared(kind: NotificationKind, context: Mapping[str, Any], language: str, timezone: str = "UTC",
                  offset_min: int | None = None) -> Callable[[str], Rendered] | None:
    """One rendering for every recipient of the same context, language and timezone: their name is filled in.

    Exactly what :func:`render` gives, because it is offered only when the kind's templates (and every template they
    extend, include or import, all of the same format) use ``name`` nowhere but as a plain ``{{ name }}``: its
    text is then printed as it is (plain text) or escaped (HTML), whatever it is, and nothing else depends on it.
    Only for a non-empty name (a template may still test it). None: render per recipient.
    """
    env = environment()
    if not all(_name_only_printed(env, template_name(kind, language, ext)) for ext in ("txt", "html")):
        return None
    raw = _render_raw(kind, context, language, _NAME, timezone, offset_min)
    text_parts, html = raw[:3], raw[3]

    def fill(name: str) -> Rendered:
        if not name:
            return render(kind, context, language, name, timezone, offset_min)
        subject, short, body = (part.replace(_NAME, name) for part in text_parts)
        return _finish(language, (subject, short, body, html.replace(_NAME, str(escape(name)))))

    return fill


@lru_cache(maxsize=256)
def _name_only_printed(env: Environment, name: str, seen: frozenset[str] = frozenset()) -> bool:
    """Whether template ``name`` (absent: trivially) and those it references print ``name`` only as ``{{ name }}``."""
    try:
        source = env.loader.get_source(env, name)[0] if env.loader is not None else None
    except TemplateNotFound:
        return name not in seen  # a missing root is the caller's business; a missing reference is not understood
    if source is None:
        return False
    tree = env.parse(source)
    uses = sum(1 for n in tree.find_all(nodes.Name) if n.name == "name")
    printed = sum(1 for out in tree.find_all(nodes.Output) for n in out.nodes
                  if isinstance(n, nodes.Name) and n.name == "name")
    if uses != printed:
        return False
    extension = name.rpartition(".")[2]
    for ref in meta.find_referenced_templates(tree):
        if ref is None or ref in seen or ref.rpartition(".")[2] != extension:
            return False  # computed at run time, a cycle, or another format (escaped otherwise)
        if not _name_only_printed(env, ref, seen | {name}):
            return False
    return True
