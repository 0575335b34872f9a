"""The "for you" feed: a score per upcoming event from the user's interests, distance, time, popularity and groups.

Candidates come from search's own index (fresh within seconds of publication: the outbox) in one statement, then
each is scored in Python with the weights of the user's experiment variant, and says why it is there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from core import clock, db, hooks, i18n
from core.geo import bounding_box, haversine_km
from core.hooks import plugin_settings
from core.pagination import decode_cursor, encode_cursor
from core.users.directory import matching_facts
from plugins.search import SearchSettings, Weights, hookspecs, sql
from plugins.search.schemas import EventHit, ForYouItem, ForYouPage, Reason

BOX_KM = 60.0  # candidates "near me" come from this box around home
DEPTH = 100  # how far "for you" pages
PROFILE_WEIGHT = 2.0  # an interest named in the profile counts like two recent joins


@dataclass(frozen=True)
class Taste:
    """What the user likes (terms are tags and ``c:<category>``, weights normalised to the top one) and where."""

    terms: dict[str, float]
    home: tuple[float, float] | None


async def taste(user_id: int, now: datetime, history_days: float) -> Taste:
    """Profile interests plus what the user joined, reviewed or viewed, fading with age."""
    rows = await db.fetch(sql.AFFINITY, user_id, now, history_days)
    terms = {r["term"]: float(r["weight"]) for r in rows}
    facts = (await matching_facts([user_id])).get(user_id)
    home = None
    if facts is not None:
        for interest in facts.interests:
            terms[interest] = terms.get(interest, 0.0) + PROFILE_WEIGHT
        if facts.home_lat is not None and facts.home_lon is not None:
            home = (facts.home_lat, facts.home_lon)
    top = max((w for w in terms.values() if w > 0), default=0.0)
    return Taste({t: w / top for t, w in terms.items() if w > 0} if top else {}, home)


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km (core's formula, the one the SQL distance uses too)."""
    return haversine_km(*a, *b)


async def weights_for(user_id: int) -> tuple[Weights, str | None]:
    """The weights of the user's experiment variant, or the default ones."""
    settings = plugin_settings(SearchSettings)
    if not settings.experiment:
        return settings.weights, None
    variant = await hooks.first(hookspecs.variant_from_experiments, experiment=settings.experiment,
                                subject=f"user:{user_id}")
    if variant is None:
        return settings.weights, None
    return settings.variants.get(variant, settings.weights), variant


def score(row: dict[str, Any], t: Taste, w: Weights, now: datetime, max_joined: int,
          settings: SearchSettings) -> tuple[float, list[Reason]]:
    """The score of one candidate and the reasons, strongest first."""
    parts: list[tuple[float, Reason]] = []
    terms = [*row["tags"], *([f"c:{row['category']}"] if row["category"] else [])]
    liked = sorted(((t.terms.get(term, 0.0), term) for term in terms), reverse=True)
    interest = min(1.0, sum(v for v, _ in liked))
    if interest > 0:
        term = liked[0][1].removeprefix("c:")
        parts.append((w.interest * interest, Reason("interest", i18n.gettext("because you like %(tag)s") % {
            "tag": term.replace("-", " ")}, {"tag": term})))
    if t.home is not None and row["latitude"] is not None:
        d = km(t.home, (row["latitude"], row["longitude"]))
        near = math.exp(-d / settings.distance_km)
        row["distance_km"] = round(d, 2)
        parts.append((w.distance * near, Reason("nearby", i18n.gettext("%(km).1f km from you") % {"km": d},
                                                {"km": round(d, 1)})))
    elif row["online"]:
        parts.append((w.distance * 0.3, Reason("online", i18n.gettext("online: join from anywhere"))))
    days = max((row["starts_at"] - now).total_seconds() / 86400.0, 0.0)
    soon = math.exp(-days / settings.soon_days)
    whole = math.ceil(days)
    when = i18n.gettext("starts today") if days < 1 else i18n.ngettext(
        "in %(num)d day", "in %(num)d days", whole) % {"num": whole}
    parts.append((w.soon * soon, Reason("soon", when, {"days": whole})))
    popular = math.log1p(row["joined"]) / math.log1p(max(max_joined, 1))
    rating = ((row["rating"] or 0.0) - 1.0) / 4.0 if row["rating"] else 0.0
    joined = int(row["joined"])
    parts.append((w.popularity * (0.7 * popular + 0.3 * max(rating, 0.0)),
                  Reason("well_rated", i18n.gettext("rated %(rating).1f") % {"rating": row["rating"]},
                         {"rating": round(row["rating"], 1)})
                  if rating > 0.75 else Reason("popular", i18n.ngettext(
                      "%(num)d person is going", "%(num)d people are going", joined) % {"num": joined},
                      {"going": joined})))
    going = int(row["group_going"] or 0)
    if going:
        text = i18n.ngettext("%(num)d member of your group is going", "%(num)d members of your groups are going",
                             going) % {"num": going}
        parts.append((w.social * min(1.0, going / 3.0), Reason("group_going", text, {"members": going})))
    parts.sort(key=lambda p: p[0], reverse=True)
    return sum(p[0] for p in parts), [p[1] for p in parts if p[0] > 0.05][:3]


async def ranked(user_id: int, *, now: datetime | None = None, weights: Weights | None = None,
                 depth: int = DEPTH) -> list[ForYouItem]:
    """The user's top ``depth`` upcoming events, best first."""
    settings = plugin_settings(SearchSettings)
    now = now or clock.now()
    t = await taste(user_id, now, settings.history_days)
    w = weights or (await weights_for(user_id))[0]
    top_terms = sorted(t.terms, key=t.terms.__getitem__, reverse=True)[:12]
    tags = [x for x in top_terms if not x.startswith("c:")]
    categories = [x[2:] for x in top_terms if x.startswith("c:")]
    box = bounding_box(*t.home, BOX_KM) if t.home else None
    bounds = (box.lat_lo, box.lat_hi, box.lng_lo, box.lng_hi) if box else (None, None, None, None)
    rows = await db.fetch(sql.CANDIDATES, now, tags, categories, *bounds, user_id)
    rows = [r for r in rows if r["starts_at"] > now]
    max_joined = max((r["joined"] for r in rows), default=1)
    scored = []
    for r in rows:
        s, reasons = score(r, t, w, now, max_joined, settings)
        scored.append((s, r, reasons))
    scored.sort(key=lambda x: (-x[0], x[1]["starts_at"], x[1]["id"]))
    return [ForYouItem(msgspec.convert(r, EventHit), round(s, 4), reasons) for s, r, reasons in scored[:depth]]


async def for_you(user_id: int, cursor: str | None, limit: int) -> ForYouPage:
    """A page of "for you" (the cursor is the user's own; another's is 400 ``invalid_cursor``)."""
    scope = f"search.for_you:{user_id}"
    offset = decode_cursor(cursor, int, scope=scope)[0] if cursor else 0
    weights, variant = await weights_for(user_id)
    items = await ranked(user_id, weights=weights)
    page = items[offset:offset + limit]
    nxt = encode_cursor(offset + limit, scope=scope) if offset + limit < len(items) else None
    return ForYouPage(page, nxt, variant)
