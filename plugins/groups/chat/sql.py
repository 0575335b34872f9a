"""The chat's raw SQL: the statements of the posting hot path (Piccolo's query building cost 4-7x the CPU here).

Measured on the chat bench's machine (per call, CPU of the API process): the membership check 0.07 ms against
0.50 ms through two Piccolo selects, the insert 0.19 ms against 0.44 ms. A post to a group room runs one statement
(``INSERT_MEMBER_MESSAGE``: the membership check inside the insert), so one round trip and one pool checkout instead
of two. Each constant is a complete statement; ``tests/plugins/groups/test_chat_services.py`` prepares them against
the migrated schema.
"""

ACTIVE_ROLE = """
SELECT m.role FROM groups.member m JOIN groups."group" g ON g.id = m."group"
WHERE m."group" = $1 AND m."user" = $2 AND m.state = $3 AND g.deleted_at IS NULL
"""
"""The role of user $2 in group $1 when their membership is in state $3 (``states.ACTIVE``) and the group is live."""

INSERT_MESSAGE = """
INSERT INTO groups.chat_message (kind, room_key, author, body, status, created_at)
VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
"""
"""Store a message: kind, room key, author, body, status, created_at; returns its id."""

INSERT_MEMBER_MESSAGE = """
INSERT INTO groups.chat_message (kind, room_key, author, body, status, created_at)
SELECT 'chat', $1::text, $2::int, $3::text, $4::text, $5::timestamptz
WHERE EXISTS (SELECT 1 FROM groups.member m JOIN groups."group" g ON g.id = m."group"
              WHERE m."group" = $6 AND m."user" = $2 AND m.state = $7 AND g.deleted_at IS NULL)
RETURNING id
"""
"""Store a message in group room $1 (group id $6) when its author $2 is a member in state $7 (``states.ACTIVE``) of
the live group (``ACTIVE_ROLE``'s rule): body, status, created_at; returns its id, or no row when they may not post."""
