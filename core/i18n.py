"""Translations (Babel, gettext catalogues): the current locale, ``_``/``ngettext``, and dates and numbers per locale.

Messages are written in English; each package ships ``locale/<lang>/LC_MESSAGES/messages.po`` beside its code
(``core/locale``, ``admin_ui/locale``, ``plugins/<name>/locale``, a third-party plugin's own package). The plugin
loader registers the catalogue of every loaded plugin (:func:`register_package`); the ``.po`` files are compiled in
memory on first use of a language (no ``.mo`` files, no build step) and merged into one catalogue per language, core
first, so a plugin may also override core's wording.

The current locale is a context variable: the API sets it per request from ``Accept-Language`` (else the signed-in
user's language), the panel from the staff member's choice, jobs and notifications from the recipient's language
(``with use_locale(contact.language): ...``). Catalogue tooling: ``python3 manage.py i18n extract|update|check``.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from babel import dates, numbers
from babel.core import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy, NullTranslations, Translations

log = logging.getLogger("core.i18n")

LANGUAGES: tuple[str, ...] = ("en", "ru")
"""The languages the platform speaks; English is the source language of every message."""
DEFAULT = "en"
DOMAIN = "messages"
CORE_LOCALE = Path(__file__).parent / "locale"

_locale: ContextVar[str] = ContextVar("sbor_locale", default=DEFAULT)
_chosen: ContextVar[bool] = ContextVar("sbor_locale_chosen", default=False)

_dirs: list[Path] = [CORE_LOCALE]
_compiled: dict[str, NullTranslations] = {}
_lock = threading.Lock()


# --- the catalogues ---------------------------------------------------------------------------------------------

def register_package(module: ModuleType) -> None:
    """Add the catalogue of a plugin's package (its ``locale/`` directory, when it has one)."""
    where = getattr(module, "__file__", None)
    if where:
        register_dir(Path(where).parent / "locale")


def register_dir(path: Path) -> None:
    """Add a ``locale/`` directory (``<lang>/LC_MESSAGES/messages.po`` inside); later ones override earlier ones."""
    path = path.resolve()
    with _lock:
        if path in _dirs or not path.is_dir():
            return
        _dirs.append(path)
        _compiled.clear()


def catalogue_dirs() -> list[Path]:
    """The registered ``locale/`` directories, core's first."""
    return list(_dirs)


def translations(language: str) -> NullTranslations:
    """The merged catalogue of ``language`` (compiled on first use; English and unknown languages: identity)."""
    found = _compiled.get(language)
    if found is not None:
        return found
    with _lock:
        found = _compiled.get(language)
        if found is None:
            found = _compiled[language] = _compile(language, list(_dirs))
    return found


def _compile(language: str, dirs: list[Path]) -> NullTranslations:
    """Every directory's ``.po`` of ``language`` into one in-memory catalogue (read_po → write_mo → Translations)."""
    if language == DEFAULT:
        return NullTranslations()
    merged = Catalog(locale=language, domain=DOMAIN)
    for directory in dirs:
        po = directory / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not po.is_file():
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=language)
        for message in catalog:
            if message.id and message.string and not message.fuzzy:
                merged[message.id] = message
    buffer = io.BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


# --- the current locale -----------------------------------------------------------------------------------------

def get_locale() -> str:
    """The language of the current request, job or rendering (``en`` unless set)."""
    return _locale.get()


def locale_chosen() -> bool:
    """Whether the current context chose its language explicitly (e.g. ``Accept-Language`` was sent)."""
    return _chosen.get()


LocaleToken = tuple[Token[str], Token[bool]]


def set_locale(language: str | None, *, chosen: bool = True) -> LocaleToken:
    """Make ``language`` (normalised by :func:`pick`) current for this context; returns the token to reset it."""
    return _locale.set(pick(language)), _chosen.set(chosen)


def reset_locale(token: LocaleToken) -> None:
    """Undo :func:`set_locale`."""
    _locale.reset(token[0])
    _chosen.reset(token[1])


@contextmanager
def use_locale(language: str | None, *, chosen: bool = True) -> Iterator[str]:
    """Run a block in ``language`` (a job for a recipient, a rendering): ``with use_locale(contact.language):``."""
    token = set_locale(language, chosen=chosen)
    try:
        yield token[0].var.get()
    finally:
        reset_locale(token)


def pick(language: str | None, default: str = DEFAULT) -> str:
    """The platform language for a tag (``ru-RU`` → ``ru``, ``pt-BR`` → the default)."""
    if language in LANGUAGES:  # already one of ours (every API request: the edge negotiated it, or found none)
        return language
    if not language:
        return default if default in LANGUAGES else DEFAULT
    tag = (language or "").replace("_", "-").split("-")[0].strip().lower()
    return tag if tag in LANGUAGES else (default if default in LANGUAGES else DEFAULT)


@lru_cache(maxsize=512)  # every request carries the header, and a city's phones send a handful of distinct ones
def negotiate(accept_language: str | None) -> str | None:
    """The best of :data:`LANGUAGES` for an ``Accept-Language`` header (q-values honoured); None if none fits."""
    if not accept_language:
        return None
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")[:32]):  # a header longer than that is not a person's
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        tag = tag.strip()
        if tag and tag != "*" and q > 0 and len(tag) <= 35:
            ranked.append((-q, index, tag))
    preferred = [tag for _q, _i, tag in sorted(ranked)]
    try:
        found = Locale.negotiate(preferred, list(LANGUAGES), sep="-")
    except (ValueError, UnknownLocaleError):
        found = None
    return str(found.language) if found is not None else None


# --- messages ---------------------------------------------------------------------------------------------------

def gettext(message: str) -> str:
    """``message`` in the current language (itself when there is no translation)."""
    if not message:
        return message
    return translations(_locale.get()).ugettext(message)


_ = gettext


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a counted message for ``n`` in the current language (Russian has three: 1, 2 to 4, 5 and more).

    The text is not formatted: ``ngettext("%(num)d event", "%(num)d events", n) % {"num": n}``.
    """
    return translations(_locale.get()).ungettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the current language, told apart from the same English text in another ``context``."""
    return translations(_locale.get()).upgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    """:func:`ngettext` with a context."""
    return translations(_locale.get()).unpgettext(context, singular, plural, n)


def gettext_noop(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it (translate where it is shown: ``_(value)``)."""
    return message


N_ = gettext_noop


def lazy_gettext(message: str) -> Any:
    """A string translated each time it is used (module-level constants; evaluated in the locale of that moment)."""
    return LazyProxy(gettext, message, enable_cache=False)


def lazy_ngettext(singular: str, plural: str, n: int) -> Any:
    """:func:`ngettext`, evaluated when used."""
    return LazyProxy(ngettext, singular, plural, n, enable_cache=False)


def translate(message: str | None, params: dict[str, Any] | None = None) -> str | None:
    """``message`` translated, then its ``%(name)s`` placeholders filled from ``params`` (a bad template: as is)."""
    if message is None:
        return None
    text = gettext(message)
    if not params or "%" not in text:
        return text
    try:
        return text % params
    except (KeyError, ValueError, TypeError):
        try:
            return message % params
        except (KeyError, ValueError, TypeError):
            log.warning("message %r cannot be formatted with %s", message, sorted(params))
            return message


# --- formatting -------------------------------------------------------------------------------------------------

def _babel_locale() -> Locale:
    return Locale.parse(_locale.get())


def format_datetime(value: datetime, format: str = "medium", tz: str | tzinfo | None = None) -> str:
    """A moment per locale in ``tz`` (default: the value's own zone); ``medium``: ``5 Dec 2026, 19:00``, no seconds."""
    zone = dates.get_timezone(tz) if tz is not None else value.tzinfo
    if format != "medium":
        return dates.format_datetime(value, format, tzinfo=zone, locale=_babel_locale())
    local = value.astimezone(zone) if zone is not None and value.tzinfo is not None else value
    pattern = str(dates.get_datetime_format("medium", locale=_babel_locale()))
    return pattern.replace("{1}", format_date(local, "medium")).replace("{0}", format_time(local, "short"))


def format_date(value: date | datetime, format: str = "medium") -> str:
    """A date per locale (``5 Dec 2026`` in English)."""
    return dates.format_date(value, format, locale=_babel_locale())


def format_time(value: time | datetime, format: str = "short", tz: str | tzinfo | None = None) -> str:
    """A time of day per locale."""
    zone = dates.get_timezone(tz) if tz is not None else None
    return dates.format_time(value, format, tzinfo=zone, locale=_babel_locale())


def format_timedelta(value: timedelta | int, threshold: float = 0.85, add_direction: bool = False) -> str:
    """A duration per locale (``3 hours`` / ``3 часа``; ``add_direction``: ``in 3 hours`` / ``через 3 часа``)."""
    return dates.format_timedelta(value, threshold=threshold, add_direction=add_direction, locale=_babel_locale())


def format_number(value: int | float | Decimal) -> str:
    """A number per locale (``1,234.5`` / ``1 234,5``)."""
    return numbers.format_decimal(value, locale=_babel_locale())


def format_percent(value: int | float | Decimal) -> str:
    """A ratio as a percentage per locale (0.25 → ``25%`` / ``25 %``)."""
    return numbers.format_percent(value, locale=_babel_locale())


def format_currency(amount: int | float | Decimal, currency: str) -> str:
    """An amount of ``currency`` (ISO 4217) per locale (``RUB 1,500.00`` / ``1 500,00 ₽``)."""
    return numbers.format_currency(amount, currency, locale=_babel_locale())
