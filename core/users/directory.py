"""Looking users up: public summaries, contacts, identifiers in use and referral codes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from core.errors import NotFound, ValidationFailed
from core.users.tables import User


@dataclass(frozen=True)
class UserSummary:
    """What other plugins may know about a user."""

    id: int
    display_name: str
    status: str


@dataclass(frozen=True)
class Contact:
    """How to reach a user (for notifications): never shown to other users without ``can_see(..., "contact")``."""

    user_id: int
    email: str | None
    phone: str | None
    display_name: str
    language: str
    timezone: str


@dataclass(frozen=True)
class MatchingFacts:
    """What matching people (groups' "+1" search) may use about a user; never shown to other users as such.

    ``birth_year`` and the home coordinates are private: use them to compare, never to display.
    """

    user_id: int
    interests: tuple[str, ...]
    languages: tuple[str, ...]
    birth_year: int | None
    home_lat: float | None
    home_lon: float | None
    is_verified: bool


_CONTACT_COLUMNS = (User.id, User.email, User.phone, User.display_name, User.language, User.timezone)


async def get_user(user_id: int) -> UserSummary:
    """Return a user's public summary or raise NotFound."""
    row = await User.select(User.id, User.display_name, User.status).where(User.id == user_id).first()
    if row is None:
        raise NotFound("user %(user_id)s not found", params={"user_id": user_id}, code="user_not_found")
    return UserSummary(row["id"], row["display_name"], row["status"])


async def is_verified(user_id: int) -> bool:
    """Whether the account is active and has verified its email or phone."""
    return bool(await User.exists().where(User.id == user_id, User.status == "active", User.is_verified.eq(True)))


async def get_contact(user_id: int) -> Contact:
    """Return where to reach ``user_id`` (email, phone, language, timezone) or raise NotFound."""
    row = await User.select(*_CONTACT_COLUMNS).where(User.id == user_id).first()
    if row is None:
        raise NotFound("user %(user_id)s not found", params={"user_id": user_id}, code="user_not_found")
    return Contact(row["id"], row["email"], row["phone"], row["display_name"], row["language"], row["timezone"])


async def get_contacts(user_ids: list[int]) -> dict[int, Contact]:
    """Like :func:`get_contact` for many users in one query (bulk senders); unknown ids are left out."""
    rows = await User.select(*_CONTACT_COLUMNS).where(User.id.is_in(list(user_ids) or [0]))
    return {r["id"]: Contact(r["id"], r["email"], r["phone"], r["display_name"], r["language"], r["timezone"])
            for r in rows}


async def identifier_taken(email: str | None, phone: str | None) -> bool:
    """Whether an account already uses this (normalised) email or phone."""
    conditions = [c for c in ((User.email == email) if email else None, (User.phone == phone) if phone else None)
                  if c is not None]
    if not conditions:
        return False
    where = conditions[0] if len(conditions) == 1 else conditions[0] | conditions[1]
    return bool(await User.exists().where(where))


def new_referral_code() -> str:
    """A fresh referral code (10 characters, unambiguous alphabet)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


async def referrer_of(code: str) -> int:
    """The user whose referral code this is; 422 when none."""
    row = await User.select(User.id).where((User.referral_code == code.strip().upper()) & (User.status == "active")
                                           ).first()
    if row is None:
        raise ValidationFailed("Unknown referral code", code="invalid_referral_code",
                               errors=[{"pointer": "/referral_code", "detail": "No such referral code"}])
    return int(row["id"])


async def matching_facts(user_ids: list[int]) -> dict[int, MatchingFacts]:
    """The matching facts of active users, in one query; unknown, banned and deleted users are left out."""
    rows = await User.select(User.id, User.interests, User.languages, User.birth_year, User.home_lat, User.home_lon,
                             User.is_verified).where(User.id.is_in(list(user_ids) or [0]), User.status == "active")
    return {r["id"]: MatchingFacts(r["id"], tuple(r["interests"] or ()), tuple(r["languages"] or ()), r["birth_year"],
                                   r["home_lat"], r["home_lon"], bool(r["is_verified"])) for r in rows}
