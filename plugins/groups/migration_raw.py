"""Raw migration steps Piccolo cannot express (partial unique indexes, generated tsvector columns).

Development only: the initial migration runs these; before the plugin ships they are frozen into the migration.
"""

STEPS: list[str] = [
    # --- groups, members, invitations, followers ---
    # Russian and English stems of name (A) and description (B), like events' search column.
    """ALTER TABLE groups."group" ADD COLUMN search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('russian'::regconfig, coalesce(name, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(name, '')), 'A')
        || setweight(to_tsvector('russian'::regconfig, coalesce(description, '')), 'B')
        || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')
    ) STORED""",
    'CREATE INDEX group_search_gin ON groups."group" USING gin (search)',
    'CREATE INDEX group_tags_gin ON groups."group" USING gin (tags)',
    # Search lists only public groups: their coordinates (bounding box) and their keyset order.
    """CREATE INDEX group_listed_geo ON groups."group" (latitude, longitude)
        WHERE visibility = 'public' AND deleted_at IS NULL""",
    """CREATE INDEX group_listed_order ON groups."group" (id) WHERE visibility = 'public' AND deleted_at IS NULL""",
    # One row per (group, user); exactly one active owner per group (at most one here, at least one in code).
    'CREATE UNIQUE INDEX member_group_user ON groups.member ("group", "user")',
    """CREATE UNIQUE INDEX member_one_owner ON groups.member ("group") WHERE role = 'owner' AND state = 'active'""",
    'CREATE INDEX member_active ON groups.member ("group", joined_at, id) WHERE state = \'active\'',
    'CREATE UNIQUE INDEX follower_group_user ON groups.follower ("group", "user")',
    # --- chat ---
    # History of one conversation, newest first (keyset on id).
    "CREATE INDEX chat_message_room ON groups.chat_message (kind, room_key, id DESC)",
    # One report per reporter and message (a second is 409 already_reported); open reports for the admin list.
    "CREATE UNIQUE INDEX chat_report_message_reporter ON groups.chat_report (message, reporter)",
    "CREATE INDEX chat_report_open ON groups.chat_report (id) WHERE status = 'open'",
    # --- "+1" ---
    # One open request per user and event (a second is 409 already_exists); the open requests of an event.
    """CREATE UNIQUE INDEX partner_request_open ON groups.partner_request (event_id, "user") WHERE status = 'open'""",
    "CREATE INDEX partner_request_event_open ON groups.partner_request (event_id, id) WHERE status = 'open'",
    # One proposal between two requests, whichever proposed.
    """CREATE UNIQUE INDEX partner_proposal_between ON groups.partner_proposal
        (least(from_request, to_request), greatest(from_request, to_request))""",
    'CREATE UNIQUE INDEX partner_block_pair ON groups.partner_block (blocker, blocked)',
]
