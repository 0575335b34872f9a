"""``manage.py createadmin`` (the first administrator, TOTP on) and ``manage.py users`` (roles and bans by hand)."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import click

from core.errors import SborError


async def create_admin(email: str | None, phone: str | None, password: str, display_name: str) -> dict[str, Any]:
    """Create a verified account with the admin role and TOTP on; return its id, the TOTP URI and recovery codes."""
    from core.auth import totp
    from core.auth.identifiers import normalise_email, normalise_phone
    from core.auth.passwords import check_strength, hash_password
    from core.errors import Conflict
    from core.users import services
    from core.users.tables import User

    email = normalise_email(email) if email else None
    phone = normalise_phone(phone) if phone else None
    if not email and not phone:
        raise SborError("give --email or --phone", code="identifier_required")
    check_strength(password)
    if await services.identifier_taken(email, phone):
        raise Conflict("an account with this email or phone already exists", code="account_exists")
    row = User(email=email, phone=phone, password_hash=await hash_password(password),
               display_name=display_name or "Administrator", is_verified=True,
               referral_code=services.new_referral_code(), privacy=services.DEFAULT_PRIVACY)
    await row.save()
    await services.grant_role(row.id, "user")
    await services.grant_role(row.id, "admin")
    uri, codes = await totp.set_up_for_cli(row.id)
    return {"user_id": row.id, "otpauth_uri": uri, "recovery_codes": codes}


async def _run(email: str | None, phone: str | None, password: str, display_name: str) -> dict[str, Any]:
    from core import db
    from core.hooks.manager import load

    load()
    await db.start_pool()
    try:
        return await create_admin(email, phone, password, display_name)
    finally:
        await db.close_pool()


def _describe(exc: SborError) -> str:
    errors = exc.extra.get("errors") or []
    return "; ".join(f"{e.get('pointer', '')}: {e.get('detail', '')}" for e in errors) or exc.detail


@click.command()
@click.option("--email", default=None, help="The administrator's email address.")
@click.option("--phone", default=None, help="Or a phone number in international format (+447911123456).")
@click.option("--display-name", default="Administrator", show_default=True)
@click.option("--password", default=None, help="Omit to be asked (recommended: flags end up in shell history).")
def createadmin(email: str | None, phone: str | None, display_name: str, password: str | None) -> None:
    """Create an administrator account (verified, role admin, two-factor authentication on)."""
    from core.settings import get_settings

    if not email and not phone:
        email = click.prompt("Email")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = get_settings()
    if not settings.database.url:
        from core.cli import _services

        _services()
    try:
        out = asyncio.run(_run(email, phone, password, display_name))
    except SborError as exc:
        click.secho(f"error: {_describe(exc)}", fg="red", err=True)
        sys.exit(2)
    click.echo(f"Created administrator #{out['user_id']}.")
    click.echo("Two-factor authentication is on (required for the admin panel). Add this to an authenticator app:")
    click.echo(f"  {out['otpauth_uri']}")
    click.echo("One-time recovery codes (store them safely; each works once):")
    for code in out["recovery_codes"]:
        click.echo(f"  {code}")


async def _on_user(identifier: str, act: Any) -> Any:
    """Run ``act(user_id)`` with the database up, for the account named by id, email or phone (origin ``cli``)."""
    from core import audit, db
    from core.hooks.manager import load

    load()
    opened = await db.start_pool()
    try:
        with audit.acting_as("cli"):
            return await act(await _user_id(identifier))
    finally:
        if opened:
            await db.close_pool()


async def _user_id(identifier: str) -> int:
    from core.auth.accounts import find_account
    from core.errors import NotFound

    if identifier.isdigit() and len(identifier) < 10:
        return int(identifier)
    row = await find_account(identifier)
    if row is None:
        raise NotFound("No account with this email or phone", code="user_not_found")
    return int(row["id"])


def _run_on_user(identifier: str, act: Any, done: str) -> None:
    from core.settings import get_settings

    if not get_settings().database.url:
        from core.cli import _services

        _services()
    try:
        asyncio.run(_on_user(identifier, act))
    except SborError as exc:
        click.secho(f"error: {_describe(exc)}", fg="red", err=True)
        sys.exit(2)
    click.echo(done)


@click.group()
def users() -> None:
    """Roles and bans from the command line (recorded in the audit log as coming from ``cli``)."""


@users.command("grant-role")
@click.argument("user")
@click.argument("role")
def grant_role_command(user: str, role: str) -> None:
    """Give USER (id, email or phone) the role ROLE."""
    from core.users import services

    _run_on_user(user, lambda uid: services.grant_role(uid, role), f"Granted {role} to {user}.")


@users.command("revoke-role")
@click.argument("user")
@click.argument("role")
def revoke_role_command(user: str, role: str) -> None:
    """Take the role ROLE from USER (id, email or phone)."""
    from core.users import services

    _run_on_user(user, lambda uid: services.revoke_role(uid, role), f"Revoked {role} from {user}.")


@users.command("ban")
@click.argument("user")
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@click.option("--days", type=click.IntRange(1, 3650), default=None, help="A temporary ban of this many days.")
def ban_command(user: str, reason: str, days: int | None) -> None:
    """Ban USER (id, email or phone): their sessions end at once."""
    from datetime import timedelta

    from core import clock
    from core.users import services

    until = clock.now() + timedelta(days=days) if days else None
    _run_on_user(user, lambda uid: services.ban_user(uid, reason, None, until), f"Banned {user}.")


@users.command("unban")
@click.argument("user")
@click.option("--reason", default="", help="Why (kept in the audit log).")
def unban_command(user: str, reason: str) -> None:
    """Lift USER's ban."""
    from core.users import services

    _run_on_user(user, lambda uid: services.unban_user(uid, None, reason), f"Lifted the ban of {user}.")
