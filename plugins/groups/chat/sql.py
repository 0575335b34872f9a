"""The chat's raw SQL: the statements of the posting hot path (Piccolo's query building cost 4-7x the CPU here).

Posts are stored in batches (``writer.py``): the posts of concurrent senders share one statement, one round trip and
one pool checkout. A batch of group-room posts checks each author's membership inside the insert
(``INSERT_MEMBER_MESSAGES``), so a post costs no query of its own. Ids are drawn in the batch's order, so a room's
messages keep the order in which they were handed over. Each constant is a complete statement;
``tests/plugins/groups/test_chat_services.py`` prepares them against the migrated schema.
"""

ACTIVE_ROLE = """
SELECT m.role FROM groups.member m JOIN groups."group" g ON g.id = m."group"
WHERE m."group" = $1 AND m."user" = $2 AND m.state = $3 AND g.deleted_at IS NULL
"""
"""The role of user $2 in group $1 when their membership is in state $3 (``states.ACTIVE``) and the group is live."""

INSERT_MESSAGES = """
WITH new AS (
    SELECT nextval('groups.chat_message_id_seq') AS id, n.*
    FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::timestamptz[]) WITH ORDINALITY
        AS n(kind, room_key, author, body, status, created_at, ord)
), saved AS (
    INSERT INTO groups.chat_message (id, kind, room_key, author, body, status, created_at)
    SELECT id, kind, room_key, author, body, status, created_at FROM new ORDER BY ord
)
SELECT id FROM new ORDER BY ord
"""
"""Store messages (arrays of kind, room key, author, body, status, created_at); returns their ids in that order."""

INSERT_MEMBER_MESSAGES = """
WITH new AS (
    SELECT nextval('groups.chat_message_id_seq') AS id, n.*
    FROM unnest($1::text[], $2::int[], $3::int[], $4::text[], $5::text[], $6::timestamptz[]) WITH ORDINALITY
        AS n(room_key, grp, author, body, status, created_at, ord)
    WHERE EXISTS (SELECT 1 FROM groups.member m JOIN groups."group" g ON g.id = m."group"
                  WHERE m."group" = n.grp AND m."user" = n.author AND m.state = $7 AND g.deleted_at IS NULL)
), saved AS (
    INSERT INTO groups.chat_message (id, kind, room_key, author, body, status, created_at)
    SELECT id, 'chat', room_key, author, body, status, created_at FROM new ORDER BY ord
)
SELECT id, ord FROM new ORDER BY ord
"""
"""Store posts to group rooms (arrays of room key, group id, author, body, status, created_at) whose author is a
member in state $7 (``states.ACTIVE``) of the live group (``ACTIVE_ROLE``'s rule); returns ``(id, ord)`` of those
stored (``ord``: the 1-based position in the arrays), in that order; the others may not post."""
