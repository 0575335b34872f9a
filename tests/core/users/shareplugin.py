"""An in-test plugin answering ``users_share_context`` (as the events plugin will), and taking part in data rights."""

from __future__ import annotations

from typing import Any

from core.errors import Conflict
from core.hooks import hookimpl
from core.manifest import Manifest

manifest = Manifest(name="sharetest", version="0.1.0", hooks="tests.core.users.shareplugin")
pairs: set[frozenset[int]] = set()
erased: list[int] = []
refuse: set[int] = set()


@hookimpl
def users_share_context(viewer_id: int, owner_id: int) -> bool | None:
    return True if frozenset((viewer_id, owner_id)) in pairs else None


@hookimpl
def user_data_export(user_id: int) -> dict[str, Any]:
    return {"sharetest": {"groups": sorted(sorted(p) for p in pairs if user_id in p)}}


@hookimpl
async def user_erasure(user_id: int) -> None:
    if user_id in refuse:
        # Half the work done, then a refusal: the deletion's transaction must roll this back.
        from core.users.tables import User

        await User.update({User.bio: "half-erased"}).where(User.id == user_id)
        raise Conflict("You still organise an event", code="has_open_events")
    erased.append(user_id)
