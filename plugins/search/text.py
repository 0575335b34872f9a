"""Words of a query: tokens, Russian and English stems (Snowball, as PostgreSQL's), synonyms, tsquery text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

import snowballstemmer

WORD = re.compile(r"[^\W_]+", re.UNICODE)  # letters and digits; punctuation and underscores separate words
CYRILLIC = re.compile("[\u0430-\u044f\u0451]")  # Cyrillic small letters and yo
MAX_TOKENS = 12
MAX_TOKEN = 40

_RU = snowballstemmer.stemmer("russian")
_EN = snowballstemmer.stemmer("english")


def tokens(text: str | None) -> list[str]:
    """The words of ``text``: lower case, yo as ye, at most 12 of at most 40 characters (punctuation dropped)."""
    if not text:
        return []
    words = WORD.findall(text.casefold().replace("\u0451", "\u0435"))
    return [w[:MAX_TOKEN] for w in words[:MAX_TOKENS]]


def normalise(text: str | None) -> str:
    """The query as logged and compared: its tokens joined by one space."""
    return " ".join(tokens(text))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball stem of one lower-case word (Russian for Cyrillic words, English otherwise)."""
    return str((_RU if CYRILLIC.search(word) else _EN).stemWord(word))


def stems(text: str | Iterable[str]) -> list[str]:
    """The distinct stems of a text's words, in order of first appearance."""
    words = tokens(text) if isinstance(text, str) else [w for t in text for w in tokens(t)]
    seen: dict[str, None] = {}
    for w in words:
        seen.setdefault(stem(w), None)
    return list(seen)


def synonym_map(sets: Iterable[Iterable[str]]) -> dict[str, set[str]]:
    """Every word of every synonym set mapped to the other words of its sets (by token)."""
    out: dict[str, set[str]] = {}
    for words in sets:
        group = {w for word in words for w in tokens(word)[:1]}
        for w in group:
            out.setdefault(w, set()).update(group - {w})
    return out


def tsquery(words: list[str], synonyms: Mapping[str, set[str]], *, prefix: bool = True) -> str:
    """The ``to_tsquery`` text of a query: every word (or a synonym of it) must match; the last one as a prefix.

    Only letters and digits reach it (see :func:`tokens`), so no operator of the tsquery syntax can be injected.
    """
    parts = []
    for i, word in enumerate(words):
        last = prefix and i == len(words) - 1
        options = [f"{word}:*" if last else word, *sorted(synonyms.get(word, ()))]
        parts.append("(" + " | ".join(options) + ")" if len(options) > 1 else options[0])
    return " & ".join(parts)
