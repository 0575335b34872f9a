"""The raw SQL of auth that earns its place (the refresh-token spend over three tables); the rest goes through Piccolo.

Every public constant here is a complete statement: ``tests/test_sql_contract.py`` prepares each against the migrated
database, so a column renamed in ``tables.py`` fails the suite.
"""

from __future__ import annotations

SPEND_REFRESH = (
    "UPDATE auth.refresh_token AS t SET used_at = $2 "
    "FROM auth.device_session AS s, users.account AS a "
    "WHERE t.token_hash = $1 AND t.used_at IS NULL AND s.id = t.session AND a.id = s.\"user\" "
    "RETURNING t.session, s.\"user\" AS user_id, s.revoked_at, s.expires_at, a.status"
)
"""Spend the refresh token hashed $1 at $2 (only if unspent) and read its session and account in the same statement.

An ``UPDATE … FROM`` over three tables, which Piccolo cannot express: the conditional spend decides the one winner
among concurrent refreshes, and reading the session in the same statement keeps the losers' reuse revocation from
turning the winner's answer into a 401.
"""

PRINCIPAL = (
    "SELECT s.revoked_at, a.status, a.language, "
    "ARRAY(SELECT DISTINCT r.name FROM users.user_role ur JOIN users.role r ON r.id = ur.role "
    "WHERE ur.\"user\" = a.id ORDER BY r.name) AS roles, "
    "ARRAY(SELECT DISTINCT unnest(r.permissions) FROM users.user_role ur JOIN users.role r ON r.id = ur.role "
    "WHERE ur.\"user\" = a.id) AS permissions "
    "FROM auth.device_session s JOIN users.account a ON a.id = s.\"user\" WHERE s.id = $1 AND s.\"user\" = $2"
)
"""The caller behind an access token in one round trip: their session ($1) still live, the account ($2) active,
their roles and permissions. Every authenticated request runs it (a prepared statement on each pooled connection);
through Piccolo it took two queries and ~0.6 ms of CPU per request."""
