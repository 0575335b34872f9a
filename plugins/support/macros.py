"""Canned replies (macros): kept per language by staff, filled in for one ticket before the agent edits and sends."""

from __future__ import annotations

import logging
import re
from typing import Any

from core import clock
from core.errors import NotFound, ValidationFailed
from plugins.support.store import Row, names
from plugins.support.tables import Macro

log = logging.getLogger("plugins.support")
LANGUAGES = ("en", "ru")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
PLACEHOLDERS = ("user_name", "event_title", "subject", "ticket_id", "agent_name")
"""What a macro may use; anything else in braces stays as written."""


async def fill(body: str, ticket: Row, agent_id: int) -> str:
    """The macro's text for this ticket, with ``{user_name}``, ``{event_title}``, ``{subject}``, ``{ticket_id}``.

    Only these names are replaced (no format-string access to anything else); ``{event_title}`` is the label of the
    event the ticket points at, empty when it points at none.
    """
    by_id = await names([ticket["requester"], agent_id])
    values = {"user_name": by_id.get(ticket["requester"], ""), "agent_name": by_id.get(agent_id, ""),
              "event_title": ticket["subject_label"] if ticket["subject_type"] == "events.event" else "",
              "subject": ticket["subject"], "ticket_id": str(ticket["id"])}
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), body)


async def for_language(language: str) -> list[Row]:
    """The macros in the ticket's language first, then the others, by name."""
    rows = await Macro.select(Macro.id, Macro.name, Macro.language, Macro.body).order_by(Macro.name)
    return sorted(rows, key=lambda r: (r["language"] != language, r["name"], r["language"]))


async def get(macro_id: int) -> Row:
    """One macro; 404 ``macro_not_found``."""
    row = await Macro.select().where(Macro.id == macro_id).first()
    if row is None:
        raise NotFound("No such canned reply", code="macro_not_found")
    return row


async def save(macro_id: int | None, values: dict[str, Any], staff_id: int) -> int:
    """Create or change a macro (name and language unique together: 409 ``already_exists``)."""
    name, language, body = str(values.get("name", "")).strip(), str(values.get("language", "")), \
        str(values.get("body", "")).strip()
    errors = []
    if not name:
        errors.append({"pointer": "/name", "detail": "required"})
    if language not in LANGUAGES:
        errors.append({"pointer": "/language", "detail": f"one of {', '.join(LANGUAGES)}"})
    if not body:
        errors.append({"pointer": "/body", "detail": "required"})
    if errors:
        raise ValidationFailed(errors=errors)
    now = clock.now()
    fields: dict[Any, Any] = {Macro.name: name[:80], Macro.language: language, Macro.body: body,
                              Macro.updated_by: staff_id, Macro.updated_at: now}
    if macro_id is None:
        made = await Macro.insert(Macro(name=name[:80], language=language, body=body, updated_by=staff_id,
                                        updated_at=now)).returning(Macro.id)
        macro_id = int(made[0]["id"])
    else:
        changed = await Macro.update(fields).where(Macro.id == macro_id).returning(Macro.id)
        if not changed:
            raise NotFound("No such canned reply", code="macro_not_found")
    log.info("staff %s saved macro %s (%s)", staff_id, macro_id, language)
    return macro_id


async def delete(macro_id: int, staff_id: int) -> None:
    """Remove a macro."""
    await Macro.delete().where(Macro.id == macro_id)
    log.info("staff %s deleted macro %s", staff_id, macro_id)
