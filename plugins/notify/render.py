"""Rendering notifications in the recipient's language: Jinja2 templates under ``templates/notify/<lang>/``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape

from core.hooks import hookspecs
from core.hooks.manager import current

HERE = os.path.join(os.path.dirname(__file__), "templates")
LANGUAGES = ("en", "ru")

MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "ru": ["янв", "фев", "мар", "апр", "мая", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"],
}
PURPOSES = {
    "en": {"verify": "confirm your account", "login": "sign in on a new device", "reset": "reset your password",
           "": "continue"},
    "ru": {"verify": "подтвердить аккаунт", "login": "войти с нового устройства", "reset": "сбросить пароль",  # noqa: RUF001
           "": "продолжить"},
}
FIELDS = {
    "en": {"starts_at": "start time", "ends_at": "end time", "venue_name": "venue", "city": "city",
           "address": "address", "title": "title", "online": "online/offline"},
    "ru": {"starts_at": "время начала", "ends_at": "время окончания", "venue_name": "место", "city": "город",
           "address": "адрес", "title": "название", "online": "формат"},
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
    return Environment(loader=FileSystemLoader(list(dirs)), autoescape=select_autoescape(["html"]),
                       undefined=StrictUndefined, keep_trailing_newline=True,
                       auto_reload=False)  # no stat() per render: templates change with a deploy


def environment() -> Environment:
    """The Jinja2 environment over every plugin's template directories (later plugins override earlier ones)."""
    dirs = [d for _p, d in current().hooks.collect(hookspecs.register_template_dirs)]
    ordered = tuple(reversed(dirs)) if dirs else (HERE,)
    return _environment(ordered if HERE in ordered else (*ordered, HERE))


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


def format_when(value: str | datetime | None, tz_name: str | None, language: str) -> str:
    """``Sat 5 Dec 2026, 19:00 (Europe/Berlin)``-like text in the given timezone."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = moment.astimezone(zone(tz_name))
    month = MONTHS.get(language, MONTHS["en"])[local.month - 1]
    return f"{local.day} {month} {local.year}, {local:%H:%M} ({local.tzname() if tz_name is None else tz_name})"


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


def context_for(kind: str, payload: dict[str, Any], language: str, name: str,
                offset_min: int | None) -> dict[str, Any]:
    """Template variables from the stored payload."""
    event = payload.get("event") or {}
    place = ", ".join(p for p in (event.get("venue_name"), event.get("city")) if p)
    if event.get("online"):
        place = place or "online"
    changes = payload.get("changes") or []
    names = FIELDS.get(language, FIELDS["en"])
    return {
        "language": language,
        "name": name,
        "event": event,
        "when": format_when(event.get("starts_at"), event.get("timezone"), language),
        "place": place,
        "reason": payload.get("reason", ""),
        "seats": payload.get("seats", 1),
        "expires": format_when(payload.get("expires_at"), event.get("timezone"), language),
        "in_text": in_text(offset_min, language),
        "changes_text": ", ".join(names.get(c, c) for c in changes),
        "code": payload.get("code", ""),
        "ttl_minutes": payload.get("ttl_minutes", 10),
        "purpose_text": PURPOSES.get(language, PURPOSES["en"]).get(payload.get("purpose", ""),
                                                                     PURPOSES["en"][""]),
    }


def render(kind: str, payload: dict[str, Any], language: str, name: str = "",
           offset_min: int | None = None) -> Rendered:
    """Render a notification of ``kind`` in ``language`` (already picked with :func:`pick_language`)."""
    env = environment()
    ctx = context_for(kind, payload, language, name, offset_min)
    txt = env.get_template(f"notify/{language}/{kind}.txt")
    parts = {}
    context = txt.new_context(ctx)  # one context for the three blocks (building it was a tenth of a worker's CPU)
    for block in ("subject", "short", "body"):
        parts[block] = "".join(txt.blocks[block](context)).strip()
    try:
        html = env.get_template(f"notify/{language}/{kind}.html").render(ctx)
    except TemplateNotFound:
        html = ""
    return Rendered(language, " ".join(parts["subject"].split()), parts["short"], parts["body"] + "\n", html)
