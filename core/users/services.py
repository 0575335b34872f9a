"""Users' public functions for core and plugins (never the tables): lookups, privacy, roles, lifecycle, staff views.

Each area lives in its own module; this one gathers them so callers write ``from core.users import services``.
"""

from __future__ import annotations

from core.users.access import (
    admin_panel_permissions,
    allows,
    create_role,
    delete_role,
    ensure_builtin_roles,
    grant_role,
    is_staff,
    list_roles,
    permissions_of,
    revoke_role,
    roles_and_permissions,
    roles_of,
    update_role,
)
from core.users.directory import (
    Contact,
    MatchingFacts,
    UserSummary,
    get_contact,
    get_contacts,
    get_user,
    identifier_taken,
    matching_facts,
    new_referral_code,
    referrer_of,
)
from core.users.lifecycle import anonymise, ban_user, unban_user
from core.users.privacy import ASPECTS, AUDIENCES, DEFAULT_PRIVACY, can_see, privacy_of
from core.users.staff import STAFF_FIELDS, account_details, list_users
from core.users.values import check_profile_values

__all__ = [
    "ASPECTS",
    "AUDIENCES",
    "DEFAULT_PRIVACY",
    "STAFF_FIELDS",
    "Contact",
    "MatchingFacts",
    "UserSummary",
    "account_details",
    "admin_panel_permissions",
    "allows",
    "anonymise",
    "ban_user",
    "can_see",
    "check_profile_values",
    "create_role",
    "delete_role",
    "ensure_builtin_roles",
    "get_contact",
    "get_contacts",
    "get_user",
    "grant_role",
    "identifier_taken",
    "is_staff",
    "list_roles",
    "list_users",
    "matching_facts",
    "new_referral_code",
    "permissions_of",
    "privacy_of",
    "referrer_of",
    "revoke_role",
    "roles_and_permissions",
    "roles_of",
    "unban_user",
    "update_role",
]
