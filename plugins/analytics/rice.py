"""The RICE board: feature ideas scored reach x impact x confidence ÷ effort, best first."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from piccolo.query.methods.select import Select

from core import clock
from core.errors import NotFound
from core.pagination import Page, decode_cursor, page_of
from plugins.analytics.schemas import IdeaCreate, IdeaRead, IdeaUpdate
from plugins.analytics.tables import Idea

log = logging.getLogger("plugins.analytics")


def score(reach: int, impact: float, confidence: int, effort: float) -> float:
    """The RICE score (confidence in percent, effort in person-months)."""
    return round(reach * impact * (confidence / 100) / effort, 2)


IDEAS = "analytics.ideas"
"""The cursor scope of the RICE board."""


def _board() -> Select[Idea]:
    return Idea.select().order_by(Idea.score, ascending=False).order_by(Idea.id)


async def list_ideas(*, status: str | None = None, cursor: str | None = None, limit: int = 50) -> Page[IdeaRead]:
    """Ideas by score (highest first, then oldest), keyset-paginated; 400 ``invalid_cursor`` for a bad cursor."""
    query = _board().limit(limit + 1)
    if status:
        query = query.where(Idea.status == status)
    if cursor:
        s, i = decode_cursor(cursor, float, int, scope=IDEAS)
        query = query.where((Idea.score < s) | ((Idea.score == s) & (Idea.id > i)))
    rows = await query
    return page_of(rows, limit, key=lambda r: (r["score"], r["id"]), scope=IDEAS,
                   item=lambda r: msgspec.convert(r, IdeaRead))


async def all_ideas() -> list[IdeaRead]:
    """Every idea, best first (the CSV export)."""
    return msgspec.convert(await _board(), list[IdeaRead])


async def get_idea(idea_id: int) -> IdeaRead:
    """One idea."""
    row = await Idea.select().where(Idea.id == idea_id).first()
    if row is None:
        raise NotFound("idea %(idea_id)s not found", params={"idea_id": idea_id}, code="idea_not_found")
    return msgspec.convert(row, IdeaRead)


async def create_idea(data: IdeaCreate, actor_id: int) -> IdeaRead:
    """Add an idea to the board."""
    now = clock.now()
    row = Idea(title=data.title, description=data.description, reach=data.reach, impact=data.impact,
               confidence=data.confidence, effort=data.effort, status=data.status,
               score=score(data.reach, data.impact, data.confidence, data.effort),
               created_by=actor_id, updated_by=actor_id, created_at=now, updated_at=now)
    await row.save()
    log.info("user %s added idea %s (score %s)", actor_id, row.id, row.score)
    return await get_idea(row.id)


async def update_idea(idea_id: int, data: IdeaUpdate, actor_id: int) -> IdeaRead:
    """Change an idea; the score follows."""
    current = await get_idea(idea_id)
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    merged = {**msgspec.structs.asdict(current), **changes}
    values: dict[Any, Any] = {getattr(Idea, k): v for k, v in changes.items()}
    values[Idea.score] = score(merged["reach"], merged["impact"], merged["confidence"], merged["effort"])
    values[Idea.updated_by] = actor_id
    values[Idea.updated_at] = clock.now()
    await Idea.update(values).where(Idea.id == idea_id)
    log.info("user %s updated idea %s: %s", actor_id, idea_id, sorted(changes))
    return await get_idea(idea_id)


async def delete_idea(idea_id: int, actor_id: int) -> None:
    """Remove an idea."""
    await get_idea(idea_id)
    await Idea.delete().where(Idea.id == idea_id)
    log.info("user %s deleted idea %s", actor_id, idea_id)
