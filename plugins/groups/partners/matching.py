"""Matching "+1" requests: compatible kinds, both sides' preferences as hard filters, a score of what they share.

The score: 3 per shared interest (profile interests and the tags of events each attended), 2 per shared language
(by primary subtag: ``pt-BR`` speaks with ``pt``, up to 3), and up to 3 for living close (both homes known: within
5 km 3, 20 km 2, 50 km 1). Birth years and homes are only compared here, never shown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from core import clock
from core.users.services import MatchingFacts

# Which kinds may be suggested to each other (symmetric): a +1 seeker fits anyone; an offer fits a seeker; a group
# wanting more fits seekers and other groups.
COMPATIBLE: dict[str, frozenset[str]] = {
    "looking": frozenset({"looking", "offering", "group"}),
    "offering": frozenset({"looking"}),
    "group": frozenset({"looking", "group"}),
}


@dataclass(frozen=True)
class Side:
    """One request with what matching knows of its author."""

    request: dict[str, Any]
    facts: MatchingFacts
    tags: frozenset[str]  # interests and tags of events attended, lower case
    participant: bool  # takes part in the event


@dataclass(frozen=True)
class Match:
    """How well two requests fit."""

    shared_interests: int
    shared_languages: int
    score: int


def _primary(tags: tuple[str, ...] | list[str]) -> set[str]:
    return {t.split("-", 1)[0].lower() for t in tags}


def _accepts(wants: dict[str, Any], other: MatchingFacts) -> bool:
    """Whether the author of ``other`` passes the preferences of request ``wants``."""
    if wants["verified_only"] and not other.is_verified:
        return False
    if wants["languages"] and not _primary(wants["languages"]) & _primary(other.languages):
        return False
    if wants["age_min"] is not None or wants["age_max"] is not None:
        if other.birth_year is None:
            return False  # an age preference cannot be met by someone who did not say their age
        age = clock.now().year - other.birth_year
        if (wants["age_min"] is not None and age < wants["age_min"]) or (
                wants["age_max"] is not None and age > wants["age_max"]):
            return False
    return True


def _km(a: MatchingFacts, b: MatchingFacts) -> float | None:
    if None in (a.home_lat, a.home_lon, b.home_lat, b.home_lon):
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (a.home_lat, a.home_lon, b.home_lat, b.home_lon))  # type: ignore[arg-type]
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def fits(mine: Side, theirs: Side) -> bool:
    """Whether the two may be suggested to each other: kinds, audiences and both sides' preferences."""
    if theirs.request["kind"] not in COMPATIBLE[mine.request["kind"]]:
        return False
    # A request for participants only is shown only to participants, both ways (a proposal shows mine to them).
    if (theirs.request["audience"] == "participants" and not mine.participant) or (
            mine.request["audience"] == "participants" and not theirs.participant):
        return False
    return _accepts(mine.request, theirs.facts) and _accepts(theirs.request, mine.facts)


def score(mine: Side, theirs: Side) -> Match:
    """What the two share, and the score suggestions are ordered by."""
    shared = len(mine.tags & theirs.tags)
    languages = min(3, len(_primary(mine.facts.languages) & _primary(theirs.facts.languages)))
    km = _km(mine.facts, theirs.facts)
    near = 0 if km is None else 3 if km <= 5 else 2 if km <= 20 else 1 if km <= 50 else 0
    return Match(shared, languages, 3 * shared + 2 * languages + near)
