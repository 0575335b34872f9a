"""The RICE board: feature ideas scored reach x impact x confidence ÷ effort, best first."""

from __future__ import annotations

import base64
import logging
from typing import Any

import msgspec

from core import clock
from core.errors import BadRequest, NotFound
from plugins.analytics.schemas import IdeaCreate, IdeaPage, IdeaRead, IdeaUpdate
from plugins.analytics.tables import Idea

log = logging.getLogger("plugins.analytics")


def score(reach: int, impact: float, confidence: int, effort: float) -> float:
    """The RICE score (confidence in percent, effort in person-months)."""
    return round(reach * impact * (confidence / 100) / effort, 2)


def _cursor(row: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(f"{row['score']!r}:{row['id']}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[float, int]:
    try:
        s, _, i = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        return float(s), int(i)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("Invalid cursor", code="invalid_cursor") from exc


async def list_ideas(*, status: str | None = None, cursor: str | None = None, limit: int = 50) -> IdeaPage:
    """Ideas by score (highest first, then oldest), keyset-paginated."""
    query = Idea.select().order_by(Idea.score, ascending=False).order_by(Idea.id).limit(limit + 1)
    if status:
        query = query.where(Idea.status == status)
    if cursor:
        s, i = _decode_cursor(cursor)
        query = query.where((Idea.score < s) | ((Idea.score == s) & (Idea.id > i)))
    rows = await query
    more = len(rows) > limit
    rows = rows[:limit]
    items = msgspec.convert(rows, list[IdeaRead])
    return IdeaPage(items, _cursor(rows[-1]) if more else None)


async def get_idea(idea_id: int) -> IdeaRead:
    """One idea."""
    row = await Idea.select().where(Idea.id == idea_id).first()
    if row is None:
        raise NotFound(f"idea {idea_id} not found", code="idea_not_found")
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
