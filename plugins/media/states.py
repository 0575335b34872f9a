"""The life of a media item as one table of allowed moves; any other move is 409 ``illegal_status_move``."""

from __future__ import annotations

from core.errors import Conflict

UPLOADING = "uploading"  # a presigned upload handed out, not confirmed yet
PROCESSING = "processing"  # confirmed; the job checks and renders it
PENDING = "pending"  # held for a moderator (a screener, or every item by the operator's setting)
APPROVED = "approved"  # in the galleries
REJECTED = "rejected"  # by a moderator (its perceptual hash holds back look-alikes)
FAILED = "failed"  # refused by the checks (wrong type, bomb, too long…): ``error_code`` says why
DELETED = "deleted"  # by the uploader, the organiser or a moderator; its objects go by a retried job

MOVES: dict[str, set[str]] = {
    UPLOADING: {PROCESSING, DELETED},
    PROCESSING: {PENDING, APPROVED, FAILED, DELETED},
    PENDING: {APPROVED, REJECTED, DELETED},
    APPROVED: {PENDING, REJECTED, DELETED},  # back to review after reports
    REJECTED: {APPROVED, DELETED},
    FAILED: {DELETED},
    DELETED: set(),
}
STATUSES = tuple(MOVES)
VISIBLE_TO_UPLOADER = (UPLOADING, PROCESSING, PENDING, APPROVED, REJECTED, FAILED)


def check_move(current: str, new: str) -> None:
    """Raise Conflict(409, ``illegal_status_move``) unless ``current → new`` is allowed."""
    if new not in MOVES.get(current, set()):
        raise Conflict("A media item cannot go from %(current)s to %(new)s.",
                       params={"current": current, "new": new}, code="illegal_status_move",
                       current_status=current)
