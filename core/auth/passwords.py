"""Passwords: argon2id hashing with the configured (OWASP) parameters, upgrades on login, and the strength rules."""

from __future__ import annotations

import asyncio
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from core.errors import ValidationFailed
from core.settings import get_settings

COMMON_FILE = Path(__file__).with_name("common_passwords.txt")


def hasher() -> PasswordHasher:
    """The hasher for the current settings (argon2id)."""
    auth = get_settings().auth
    return _hasher(auth.argon2_time_cost, auth.argon2_memory_kib, auth.argon2_parallelism)


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verified against when the account does not exist, so both answers take about the same time.
    return hasher().hash("sbor-no-such-account")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-cased."""
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def check_strength(password: str, pointer: str = "/password") -> None:
    """Refuse passwords that are too short, too long or common (422 with a JSON pointer)."""
    auth = get_settings().auth
    if len(password) < auth.password_min_length:
        detail = f"At least {auth.password_min_length} characters"
    elif len(password) > auth.password_max_length:
        detail = f"At most {auth.password_max_length} characters"
    elif password.lower() in common_passwords() or password.strip().lower() in common_passwords():
        detail = "This password is too common; choose another"
    elif len(set(password)) < 4:
        detail = "Use more different characters"
    else:
        return
    raise ValidationFailed("The password is not acceptable", code="weak_password",
                           errors=[{"pointer": pointer, "detail": detail}])


async def hash_password(password: str) -> str:
    """Hash a password (in a thread: argon2 takes tens of milliseconds on purpose)."""
    return await asyncio.to_thread(hasher().hash, password)


async def verify_password(stored: str | None, password: str) -> bool:
    """Check ``password`` against ``stored``; a missing hash still costs one verification (no timing oracle)."""
    if len(password) > get_settings().auth.password_max_length:
        password = password[: get_settings().auth.password_max_length]  # bounded work; never matches a real hash
        stored = None
    target = stored or _dummy_hash()
    try:
        ok = await asyncio.to_thread(hasher().verify, target, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return bool(ok and stored)


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made with other parameters than the current ones."""
    try:
        return hasher().check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True
