"""A test plugin implementing every reviews hook: it records the notifications and answers the decisions."""

from __future__ import annotations

from typing import Any

from core import db
from core.hooks import hookimpl
from plugins.events.hookspecs import EventInfo
from plugins.reviews.hookspecs import ReviewInfo

calls: list[tuple[str, dict[str, Any]]] = []
refuse: dict[int, str] = {}  # user id -> refusal code (a check-in plugin's no-shows)


def _in_tx() -> bool:
    return db.current_transaction() is not None


@hookimpl
def review_published(review: ReviewInfo, previous: ReviewInfo | None) -> None:
    calls.append(("review_published", {"review": review, "previous": previous, "in_tx": _in_tx()}))


@hookimpl
def review_hidden(review: ReviewInfo, reason: str, actor_id: int | None) -> None:
    calls.append(("review_hidden", {"review": review, "reason": reason, "actor_id": actor_id, "in_tx": _in_tx()}))


@hookimpl
def review_replied(review: ReviewInfo, reply: str, organiser_id: int, edited: bool) -> None:
    calls.append(("review_replied", {"review": review, "reply": reply, "organiser_id": organiser_id,
                                     "edited": edited, "in_tx": _in_tx()}))


@hookimpl
def review_screened(text: str, event: EventInfo, author_id: int) -> str | None:
    return "shouting" if text.isupper() else None


@hookimpl
def review_refused(event: EventInfo, user_id: int) -> str | None:
    return refuse.get(user_id)
