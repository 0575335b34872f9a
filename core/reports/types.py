"""What a plugin declares to make its things reportable (``register_reportable_types``), and the report reasons.

Core imports no plugin: each plugin answers for its own type through these callbacks, built on its own services::

    ReportableType(
        name="groups.group", label="Group",
        exists=group_visible,            # async (group_id, viewer_id) -> bool: False → 404 to the reporter
        author_of=group_owner,           # async (group_id) -> user id | None (whose reports are upheld)
        describe=group_title,            # async (group_id) -> str for the staff queue
        hide=hide_group, unhide=show_group,  # async (group_id, reason) / async (group_id, staff_id)
        actions=[ReportAction("remove", "Remove the group", remove_group, danger=True)],
        admin_url=lambda group_id: f"/admin/p/groups/groups/o/{group_id}",
    )
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

REASONS: tuple[str, ...] = ("spam", "scam", "harassment", "nudity", "illegal", "other")
"""Why a person reports something (the API's ``reason``)."""

_NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_ACTION = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
CORE_ACTIONS = ("dismiss", "uphold", "hide", "unhide", "warn_author", "ban_author")
"""Actions the queue offers itself; a type's own actions take other names."""


@dataclass(frozen=True)
class ReportAction:
    """Something staff may do to a reported target from the queue: ``run(target_id, staff_id, note)``.

    Running it closes the case as upheld with ``decision`` = ``name`` (unless ``decides=False``: a warning that
    leaves the case open). ``run`` calls the plugin's own service and raises ``core.errors`` (409 when the target
    already changed); the panel shows them.
    """

    name: str
    label: str
    run: Callable[[int, int, str], Awaitable[None]]
    danger: bool = False
    decides: bool = True

    def __post_init__(self) -> None:
        if not _ACTION.match(self.name) or self.name in CORE_ACTIONS:
            raise ValueError(f"report action {self.name!r}: a-z, 0-9 and _, not one of {CORE_ACTIONS}")


@dataclass(frozen=True)
class ReportableType:
    """A kind of thing people may report, named ``<plugin>.<thing>``.

    ``exists(target_id, viewer_id)`` says whether the viewer may see the target (exactly as the target's own API
    answers: a report of something hidden from the reporter is 404, so nothing leaks). ``author_of`` names whose
    content it is (None for nobody). ``hide(target_id, reason)`` and ``unhide(target_id, staff_id)`` take it out of
    sight and back (the reporters' threshold, dismissals); without them the type is never hidden automatically.
    ``describe`` gives the queue a one-line summary; ``admin_url`` the target's page in the panel.
    """

    name: str
    label: str
    exists: Callable[[int, int], Awaitable[bool]]
    author_of: Callable[[int], Awaitable[int | None]]
    describe: Callable[[int], Awaitable[str]] | None = None
    hide: Callable[[int, str], Awaitable[None]] | None = None
    unhide: Callable[[int, int | None], Awaitable[None]] | None = None
    actions: Sequence[ReportAction] = ()
    admin_url: Callable[[int], str | None] | None = None

    def __post_init__(self) -> None:
        if not _NAME.match(self.name) or len(self.name) > 64:
            raise ValueError(f"reportable type {self.name!r}: must be named '<plugin>.<thing>' (a-z, 0-9, _)")
        names = [a.name for a in self.actions]
        if len(names) != len(set(names)):
            raise ValueError(f"reportable type {self.name!r}: two actions share a name")

    def action(self, name: str) -> ReportAction | None:
        """The type's action called ``name``."""
        return next((a for a in self.actions if a.name == name), None)
