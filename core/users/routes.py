"""HTTP routes of users: my profile (``/me``), public profiles, bans, roles and permissions."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from core.auth.accounts import delete_account
from core.auth.contact import confirm_change, request_change
from core.auth.guards import MaybeSignedIn, SignedIn, requires
from core.hooks.manager import current
from core.http import query
from core.http.middleware import client_ip
from core.http.params import Limit
from core.pagination import Page
from core.users import appeals, profiles, role_requests, services
from core.users.schemas import (
    AccountRead,
    AccountsQuery,
    AppealCreate,
    AppealRead,
    BanCreate,
    CodeSentRead,
    ContactChange,
    ContactConfirm,
    DataExportRead,
    DeleteAccount,
    MeRead,
    MeUpdate,
    PermissionRead,
    ProfileRead,
    ReferralRead,
    RoleCreate,
    RoleRead,
    RoleRequestCreate,
    RoleRequestRead,
    RoleUpdate,
)


class MeController(Controller):
    """The signed-in user's own account."""

    path = "/me"

    @get(operation_id="get_me")
    async def get_me(self, principal: SignedIn) -> MeRead:
        """My account, profile, privacy settings and onboarding state."""
        return msgspec.convert(await profiles.me(principal.user_id), MeRead)

    @patch(operation_id="update_me")
    async def update_me(self, principal: SignedIn, data: JSONBody[MeUpdate]) -> MeRead:
        """Change my profile, privacy settings or onboarding steps (absent fields stay)."""
        changes = {f: getattr(data, f) for f in data.__struct_fields__ if getattr(data, f) is not msgspec.UNSET}
        if "privacy" in changes:
            changes["privacy"] = msgspec.structs.asdict(changes["privacy"])
        return msgspec.convert(await profiles.update_me(principal.user_id, changes), MeRead)

    @post("/role-requests", operation_id="create_role_request", status_code=HTTP_201_CREATED)
    async def create_role_request(self, principal: SignedIn, data: JSONBody[RoleRequestCreate]) -> RoleRequestRead:
        """Ask staff for a role (``organiser``); 409 ``role_held`` / ``request_pending``."""
        return msgspec.convert(await role_requests.request_role(principal.user_id, data.role, data.note),
                               RoleRequestRead)

    @get("/role-requests", operation_id="list_my_role_requests")
    async def list_my_role_requests(self, principal: SignedIn) -> list[RoleRequestRead]:
        """My role requests and their decisions, newest first."""
        return msgspec.convert(await role_requests.mine(principal.user_id), list[RoleRequestRead])

    @get("/referrals", operation_id="list_referrals")
    async def list_referrals(self, principal: SignedIn, cursor: FromQuery[str | None] = None,
                             limit: Limit = 50) -> Page[ReferralRead]:
        """People who registered with my referral code, newest first (cursor pagination)."""
        return await profiles.referrals(principal.user_id, cursor, limit)

    @get("/export", operation_id="export_me")
    async def export_me(self, principal: SignedIn) -> DataExportRead:
        """Everything stored about me, as JSON (account and each plugin's part)."""
        return msgspec.convert(await profiles.export(principal.user_id), DataExportRead)

    @post("/contact", operation_id="change_contact", status_code=HTTP_202_ACCEPTED)
    async def change_contact(self, principal: SignedIn, data: JSONBody[ContactChange]) -> CodeSentRead:
        """Change my email or phone: a code goes to the new address (409 ``account_exists`` when taken)."""
        return msgspec.convert(await request_change(principal.user_id, data.email, data.phone), CodeSentRead)

    @post("/contact/confirm", operation_id="confirm_contact", status_code=HTTP_204_NO_CONTENT)
    async def confirm_contact(self, request: Request[Any, Any, Any], principal: SignedIn,
                              data: JSONBody[ContactConfirm]) -> None:
        """Confirm the new email or phone with the code."""
        await confirm_change(principal.user_id, data.code, ip=client_ip(request.scope))

    @delete(operation_id="delete_me", status_code=HTTP_204_NO_CONTENT)
    async def delete_me(self, principal: SignedIn, data: JSONBody[DeleteAccount]) -> None:
        """Delete my account: personal data erased, my content kept anonymised. Needs my password."""
        await delete_account(principal.user_id, data.password)


class UserController(Controller):
    """Other users: public profiles; bans and roles for staff."""

    path = "/users"

    @get(operation_id="list_users", guards=[requires("users.view")],
         dependencies={"accounts_query": Provide(query.provider(AccountsQuery), sync_to_thread=False)},
         operation_class=query.operation_with(AccountsQuery))
    async def list_users(self, accounts_query: NamedDependency[AccountsQuery]) -> Page[AccountRead]:
        """Accounts for staff, newest first; ``q`` searches email, phone and name."""
        a = accounts_query
        return await profiles.accounts(a.q, a.status, a.cursor, a.limit)

    @get("/{user_id:int}", operation_id="get_user", guards=[requires("users.view")])
    async def get_user(self, user_id: FromPath[int]) -> AccountRead:
        """One account for staff."""
        return msgspec.convert(await services.account_details(user_id), AccountRead)

    @get("/{user_id:int}/profile", operation_id="get_user_profile")
    async def get_user_profile(self, optional_principal: MaybeSignedIn, user_id: FromPath[int]) -> ProfileRead:
        """A user's profile, when their privacy settings let me see it (404 otherwise)."""
        viewer = optional_principal.user_id if optional_principal else None
        return msgspec.convert(await profiles.public_profile(viewer, user_id), ProfileRead)

    @post("/{user_id:int}/ban", operation_id="ban_user", guards=[requires("users.ban")],
          status_code=HTTP_204_NO_CONTENT)
    async def ban_user(self, principal: SignedIn, user_id: FromPath[int], data: JSONBody[BanCreate]) -> None:
        """Ban a user: their sessions end at once and they cannot sign in."""
        await services.ban_user(user_id, data.reason, principal.user_id, data.until)

    @post("/{user_id:int}/unban", operation_id="unban_user", guards=[requires("users.ban")],
          status_code=HTTP_204_NO_CONTENT)
    async def unban_user(self, principal: SignedIn, user_id: FromPath[int]) -> None:
        """Lift a ban."""
        await services.unban_user(user_id, principal.user_id)

    @put("/{user_id:int}/roles/{role:str}", operation_id="grant_user_role", guards=[requires("roles.edit")],
         status_code=HTTP_204_NO_CONTENT)
    async def grant_user_role(self, principal: SignedIn, user_id: FromPath[int], role: FromPath[str]) -> None:
        """Give a user a role."""
        await services.grant_role(user_id, role, principal.user_id)

    @delete("/{user_id:int}/roles/{role:str}", operation_id="revoke_user_role", guards=[requires("roles.edit")],
            status_code=HTTP_204_NO_CONTENT)
    async def revoke_user_role(self, principal: SignedIn, user_id: FromPath[int], role: FromPath[str]) -> None:
        """Take a role from a user."""
        await services.revoke_role(user_id, role, principal.user_id)


class RoleController(Controller):
    """Roles and the permissions they grant (admins edit them)."""

    path = "/roles"
    guards = [requires("roles.edit")]

    @get(operation_id="list_roles")
    async def list_roles(self) -> list[RoleRead]:
        """Every role."""
        return msgspec.convert(await services.list_roles(), list[RoleRead])

    @post(operation_id="create_role", status_code=HTTP_201_CREATED)
    async def create_role(self, principal: SignedIn, data: JSONBody[RoleCreate]) -> RoleRead:
        """Create a custom role."""
        await services.create_role(data.name, data.description, data.permissions, principal.user_id)
        return next(msgspec.convert(r, RoleRead) for r in await services.list_roles() if r["name"] == data.name)

    @patch("/{name:str}", operation_id="update_role")
    async def update_role(self, principal: SignedIn, name: FromPath[str], data: JSONBody[RoleUpdate]) -> RoleRead:
        """Change a role's description or permissions."""
        await services.update_role(name, principal.user_id, data.description, data.permissions)
        return next(msgspec.convert(r, RoleRead) for r in await services.list_roles() if r["name"] == name)

    @delete("/{name:str}", operation_id="delete_role", status_code=HTTP_204_NO_CONTENT)
    async def delete_role(self, principal: SignedIn, name: FromPath[str]) -> None:
        """Delete a custom role."""
        await services.delete_role(name, principal.user_id)


class PermissionController(Controller):
    """The permissions declared by core and the enabled plugins."""

    path = "/permissions"

    @get(operation_id="list_permissions", guards=[requires("roles.edit")])
    async def list_permissions(self) -> list[PermissionRead]:
        """Every permission, for the roles editor."""
        perms = current().permissions()
        return [PermissionRead(p.name, p.description, p.admin_panel) for p in sorted(perms.values(),
                                                                                      key=lambda p: p.name)]


APPEAL_CODES = {401: ["invalid_credentials", "totp_required", "totp_invalid"],
                409: ["not_banned", "appeal_exists"], 422: ["validation_failed", "text_required"],
                429: ["rate_limited"]}


class AppealController(Controller):
    """``/appeals``: a banned user's one appeal against their ban (they cannot sign in: they give their password)."""

    path = "/appeals"

    @post(operation_id="create_appeal", status_code=HTTP_201_CREATED, opt={"codes": APPEAL_CODES})
    async def create_appeal(self, request: Request[Any, Any, Any], data: JSONBody[AppealCreate]) -> AppealRead:
        """File the appeal: 401 for wrong credentials (as at sign-in), 409 ``not_banned`` or ``appeal_exists``."""
        from core.auth.accounts import authenticate_password, find_account
        from core.errors import Conflict, NotAuthenticated

        try:
            await authenticate_password(data.identifier, data.password, None, ip=client_ip(request.scope))
        except NotAuthenticated as exc:
            if exc.code != "account_inactive":
                raise
            account = await find_account(data.identifier)  # the password was right: the account is not active
            if account is None:
                raise
            return msgspec.convert(await appeals.file(int(account["id"]), data.text), AppealRead)
        raise Conflict("The account is not banned", code="not_banned")
