"""Users' periodic job: lift temporary bans whose end has passed (sign-in lifts them too, this keeps the panel true)."""

from __future__ import annotations

from datetime import timedelta

from core.jobs import Periodic, job
from core.users import lifecycle


@job("users.lift_expired_bans", max_retries=3)
async def lift_expired_bans() -> int:
    """Lift every ended temporary ban (idempotent: a ban lifted meanwhile is skipped); returns how many."""
    return await lifecycle.lift_expired_bans()


PERIODIC = [Periodic(lift_expired_bans, every=timedelta(minutes=10))]
