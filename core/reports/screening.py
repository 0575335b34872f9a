"""Text screening: per-language blocklists of words and phrases, matched on stems so every word form counts.

``screen(text, languages)`` splits the text into words (lower case, ``ё`` read as ``е``), stems each with the
Snowball stemmer of each language and looks for every blocked entry's stems as consecutive words: a blocked
``мошенник`` matches ``мошенники``, ``мошенникам`` and ``МОШЕННИКОВ``; ``scam`` matches ``scams`` and ``scamming``.
The blocklists are staff's (the panel's Blocklist page, the ``blocked_word`` table) plus the operator's
``[settings.reports] blocklist``; each process caches them, checking one Redis counter per screening that every
edit increments (so an edit reaches every process at once; while Redis is away, the cache lives a minute).
"""

# ruff: noqa: RUF001, RUF002  (Russian words are the point of this module)
from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import snowballstemmer

from core import cache, clock
from core.errors import Conflict, NotFound, ValidationFailed
from core.hooks import plugin_settings
from core.reports import ReportsSettings
from core.reports.tables import BlockedWord

log = logging.getLogger("core.reports")

LANGUAGES: dict[str, str] = {"ru": "russian", "en": "english", "de": "german", "fr": "french", "es": "spanish",
                             "it": "italian", "uk": "russian"}
"""Languages with a stemmer (Ukrainian borrows the Russian one: better than none)."""
CACHE_SECONDS = 60.0
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Match:
    """A blocked entry found in a text: the entry as staff wrote it, its language, and the words as written."""

    word: str
    language: str
    found: str


@lru_cache(maxsize=16)
def _stemmer(language: str) -> Any:
    return snowballstemmer.stemmer(LANGUAGES[language])


def words(text: str) -> list[str]:
    """The text's words, lower case, ``ё`` as ``е``."""
    return [w.replace("ё", "е") for w in _WORD.findall(text.lower()) if not w.isdigit()]


@lru_cache(maxsize=100_000)
def _stem(language: str, word: str) -> str:
    # Chats repeat their words: a cached stem costs a dict lookup, Snowball's pure Python ~20 µs a word.
    return str(_stemmer(language).stemWord(word))


def stems(text: str, language: str) -> tuple[str, ...]:
    """The stems of the text's words in ``language``."""
    return tuple(_stem(language, w) for w in words(text))


PREFIX = 4
"""A blocked stem this long or longer also matches a stem that extends it by up to :data:`SLACK` letters (Snowball
cuts ``кидала`` to ``кида`` but ``кидалы`` to ``кидал``); shorter ones match exactly (``кот`` never ``котлета``)."""
SLACK = 2
Entry = tuple[str, tuple[str, ...]]  # (the entry as written, its stems)
Index = dict[str, list[Entry]]  # entries by their first stem's first PREFIX letters (or the whole stem when shorter)

_cache: dict[str, tuple[float, bytes | None, Index]] = {}


def _version_key() -> str:
    return cache.key("reports", "blocklist")


VERSION_REUSE_S = 0.25
"""How long a process reuses the counter it read: the screenings of a busy chat share one read (a Redis round trip
per message was a chat post's largest single cost), and an edit in another process is seen within this time."""
_seen: tuple[float, bytes | None] = (0.0, None)  # (read until, the counter)


async def _version() -> bytes | None:
    global _seen
    if time.monotonic() < _seen[0]:
        return _seen[1]
    try:
        value = await cache.client().get(_version_key())
    except Exception:  # Redis away: the minute's cache stands in
        return b"?"
    found = value.encode() if isinstance(value, str) else value
    _seen = (time.monotonic() + VERSION_REUSE_S, found)
    return found


async def forget() -> None:
    """Make every process read the blocklists again (after an edit)."""
    global _seen
    _cache.clear()
    _seen = (0.0, None)
    try:
        await cache.client().incr(_version_key())
    except Exception:
        log.warning("blocklist edited while Redis is away: other processes see it within a minute")


async def _entries(language: str, version: bytes | None) -> Index:
    cached = _cache.get(language)
    if cached is not None and cached[0] > time.monotonic() and (cached[1] == version or version == b"?"):
        return cached[2]
    rows = await BlockedWord.select(BlockedWord.word, BlockedWord.stems).where(BlockedWord.language == language)
    entries = [(r["word"], tuple(r["stems"].split())) for r in rows]
    for word in plugin_settings(ReportsSettings).blocklist.get(language, []):
        entries.append((word, stems(word, language)))
    index: Index = {}
    for word, needle in entries:
        if needle:
            index.setdefault(needle[0][:PREFIX], []).append((word, needle))
    _cache[language] = (time.monotonic() + CACHE_SECONDS, version, index)
    return index


def _same(stem: str, blocked: str) -> bool:
    return stem == blocked or (len(blocked) >= PREFIX and stem.startswith(blocked)
                               and len(stem) - len(blocked) <= SLACK)


def _search(index: Index, hay: Sequence[str]) -> list[tuple[Entry, int]]:
    """Each entry found in the stems ``hay``, with where it starts: one dict lookup per word of the text."""
    found: dict[str, tuple[Entry, int]] = {}
    for i, stem in enumerate(hay):
        for entry in index.get(stem[:PREFIX], ()):
            needle = entry[1]
            if entry[0] not in found and i + len(needle) <= len(hay) and all(
                    _same(hay[i + k], part) for k, part in enumerate(needle)):
                found[entry[0]] = (entry, i)
    return list(found.values())


async def screen(text: str, languages: Iterable[str] | None = None) -> list[Match]:
    """The blocked entries found in ``text`` for each language (default: the ``screening_languages`` setting)."""
    if not text.strip():
        return []
    written = words(text)
    found: list[Match] = []
    version = await _version()
    for language in languages if languages is not None else plugin_settings(ReportsSettings).screening_languages:
        if language not in LANGUAGES:
            continue
        index = await _entries(language, version)
        if not index:
            continue
        hay = [_stem(language, w) for w in written]
        for (word, needle), at in _search(index, hay):
            found.append(Match(word=word, language=language, found=" ".join(written[at:at + len(needle)])))
    return found


def summary(matches: Sequence[Match]) -> str:
    """A short line for moderators: ``blocklist: word, word``."""
    return ("blocklist: " + ", ".join(sorted({m.word for m in matches})))[:300]


# ---------------------------------------------------------------------------------------------------------------------
# Staff's blocklists
# ---------------------------------------------------------------------------------------------------------------------


def _check(language: str, word: str) -> tuple[str, str]:
    word = " ".join(word.split())
    if language not in LANGUAGES:
        raise ValidationFailed("Unknown language", code="unknown_language",
                               errors=[{"pointer": "/language", "detail": "not a language with a stemmer"}])
    if not word or len(word) > 100:
        raise ValidationFailed("Write a word or phrase of up to 100 characters", code="invalid_word",
                               errors=[{"pointer": "/word", "detail": "1 to 100 characters"}])
    stemmed = " ".join(stems(word, language))
    if not stemmed:
        raise ValidationFailed("Write a word or phrase of up to 100 characters", code="invalid_word",
                               errors=[{"pointer": "/word", "detail": "letters are needed"}])
    return word, stemmed


async def block(language: str, word: str, staff_id: int | None) -> int:
    """Add a word or phrase to a language's blocklist (409 ``already_blocked`` when its stems are there)."""
    word, stemmed = _check(language, word)
    rows = await BlockedWord.insert(BlockedWord(language=language, word=word, stems=stemmed, created_by=staff_id,
                                                created_at=clock.now())).on_conflict(
        action="DO NOTHING").returning(BlockedWord.id)
    if not rows:
        raise Conflict("This word is already blocked", code="already_blocked")
    await forget()
    log.info("staff %s blocked %r (%s)", staff_id, word, language)
    return int(rows[0]["id"])


async def change(word_id: int, language: str, word: str, staff_id: int | None) -> None:
    """Rewrite one entry (409 ``already_blocked`` when another entry has the same stems)."""
    word, stemmed = _check(language, word)
    if await BlockedWord.exists().where(BlockedWord.language == language, BlockedWord.stems == stemmed,
                                        BlockedWord.id != word_id):
        raise Conflict("This word is already blocked", code="already_blocked")
    done = await BlockedWord.update({BlockedWord.language: language, BlockedWord.word: word,
                                     BlockedWord.stems: stemmed}).where(BlockedWord.id == word_id).returning(
        BlockedWord.id)
    if not done:
        raise NotFound("No such blocked word", code="blocked_word_not_found")
    await forget()
    log.info("staff %s changed blocked word %s to %r (%s)", staff_id, word_id, word, language)


async def unblock(word_id: int, staff_id: int | None) -> None:
    """Remove one entry."""
    done = await BlockedWord.delete().where(BlockedWord.id == word_id).returning(BlockedWord.id)
    if not done:
        raise NotFound("No such blocked word", code="blocked_word_not_found")
    await forget()
    log.info("staff %s unblocked word %s", staff_id, word_id)
