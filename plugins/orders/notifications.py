"""The notification kind of orders and who may join its real-time rooms."""

from __future__ import annotations

from core.notifications import NotificationKind
from core.realtime import RoomKind

KINDS = [
    NotificationKind("orders.status", label="My café orders change status", channels=("push", "email"),
                     description="Confirmed, declined, ready for pickup, cancelled, or could not be placed."),
]


async def may_join_order(user_id: int, room_id: str) -> bool:
    """``orders.order:<uuid>``: the order's people (owner, members with a part, the group's members)."""
    from core.errors import NotFound
    from plugins.orders import services, store

    try:
        return await services.can_see(await store.load(room_id), user_id)
    except NotFound:
        return False


async def may_join_venue(user_id: int, room_id: str) -> bool:
    """``orders.venue:<venue_id>``: the live queue of a venue, for staff with ``orders.manage``."""
    from core.users import services as users

    return users.allows(await users.permissions_of(user_id), "orders.manage")


ROOMS = [RoomKind("orders.order", may_join_order), RoomKind("orders.venue", may_join_venue)]
