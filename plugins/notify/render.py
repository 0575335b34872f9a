"""Rendering a notification in the recipient's language from its kind's templates, and the filters they use.

A kind ``<plugin>.<kind>`` is rendered from ``<plugin>/notifications/<language>/<kind>.txt`` (blocks ``subject``,
``short`` and ``body``) and optionally ``….html``, found in the template directories of the enabled plugins
(``register_template_dirs``). The context is the notice's plus ``name``, ``language``, ``timezone`` and, for
reminders, ``offset_min``. Filters: ``{{ moment | when }}`` (in the recipient's timezone, or ``when(tz)``) and
``{{ offset_min | in_text }}`` ("in 24 hours").
"""

from __future__ import annotations

from collections.abc import Mapping
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
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context

from core.hooks import hookspecs
from core.hooks.manager import Registry, current
from core.notifications import NotificationKind

LANGUAGES = ("en", "ru")

MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "ru": ["янв", "фев", "мар", "апр", "мая", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"],
}


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
    lang = (language or "").split("-")[0].split("_")[0].lower()
    return lang if lang in LANGUAGES else (default if default in LANGUAGES else "en")


def zone(name: str | None, default: str = "UTC") -> ZoneInfo:
    """An IANA timezone, falling back to ``default`` for unknown names."""
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


@lru_cache(maxsize=1024)  # a chunk of reminders formats the same moment for every recipient
def format_when(value: str | datetime | None, tz_name: str | None, language: str) -> str:
    """``5 Dec 2026, 19:00 (Europe/Berlin)``-like text in the given timezone."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = moment.astimezone(zone(tz_name))
    month = MONTHS.get(language, MONTHS["en"])[local.month - 1]
    return f"{local.day} {month} {local.year}, {local:%H:%M} ({local.tzname() if tz_name is None else tz_name})"


@lru_cache(maxsize=256)
def in_text(minutes: int | None, language: str) -> str:
    """``in 24 hours`` / ``через 24 часа``."""
    m = int(minutes or 0)
    if language == "ru":
        if m % 60 == 0 and m >= 60:
            h = m // 60
            return f"через {h} {_ru_plural(h, 'час', 'часа', 'часов')}"
        return f"через {m} {_ru_plural(m, 'минуту', 'минуты', 'минут')}"
    if m % 60 == 0 and m >= 60:
        h = m // 60
        return f"in {h} hour{'s' if h != 1 else ''}"
    return f"in {m} minute{'s' if m != 1 else ''}"


def _ru_plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


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
    env = environment()
    ctx = {**context, "name": name, "language": language, "timezone": timezone, "offset_min": offset_min}
    txt = _template(env, template_name(kind, language, "txt"))
    if txt is None:
        raise TemplateNotFound(template_name(kind, language, "txt"))
    parts = {}
    tpl_context = txt.new_context(ctx)  # one context for the three blocks (building it was a tenth of a worker's CPU)
    for block in ("subject", "short", "body"):
        parts[block] = "".join(txt.blocks[block](tpl_context)).strip()
    page = _template(env, template_name(kind, language, "html"))
    html = "" if page is None else page.render(ctx)
    return Rendered(language, " ".join(parts["subject"].split()), parts["short"], parts["body"] + "\n", html)
