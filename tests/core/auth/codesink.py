"""An in-test plugin that takes delivery of verification codes and records account notifications."""

from __future__ import annotations

from typing import Any

from core.hooks import hookimpl
from core.manifest import Manifest

manifest = Manifest(name="codesink", version="0.1.0", hooks="tests.core.auth.codesink")
seen: list[tuple[Any, ...]] = []


@hookimpl
def send_verification(user_id: int, channel: str, destination: str, code: str, purpose: str) -> bool:
    seen.append(("sent", user_id, channel, destination, purpose, code))
    return True


@hookimpl
def user_registered(user_id: int) -> None:
    seen.append(("registered", user_id))


@hookimpl
def user_banned(user_id: int, reason: str, actor_id: int | None) -> None:
    seen.append(("banned", user_id, reason, actor_id))


@hookimpl
def user_unbanned(user_id: int, actor_id: int | None) -> None:
    seen.append(("unbanned", user_id, actor_id))
