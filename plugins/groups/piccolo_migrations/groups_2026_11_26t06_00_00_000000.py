"""Raw steps Piccolo cannot express: full-text search, the listing indexes, one active owner, uniqueness."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T06:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "search_and_unique_indexes"

STEPS = [
    'ALTER TABLE groups."group" ADD COLUMN search tsvector GENERATED ALWAYS AS (\n        setweight(to_tsvector(\'russian\'::regconfig, coalesce(name, \'\')), \'A\')\n        || setweight(to_tsvector(\'english\'::regconfig, coalesce(name, \'\')), \'A\')\n        || setweight(to_tsvector(\'russian\'::regconfig, coalesce(description, \'\')), \'B\')\n        || setweight(to_tsvector(\'english\'::regconfig, coalesce(description, \'\')), \'B\')\n    ) STORED',
    'CREATE INDEX group_search_gin ON groups."group" USING gin (search)',
    'CREATE INDEX group_tags_gin ON groups."group" USING gin (tags)',
    'CREATE INDEX group_listed_geo ON groups."group" (latitude, longitude)\n        WHERE visibility = \'public\' AND deleted_at IS NULL',
    'CREATE INDEX group_listed_order ON groups."group" (id) WHERE visibility = \'public\' AND deleted_at IS NULL',
    'CREATE UNIQUE INDEX member_group_user ON groups.member ("group", "user")',
    'CREATE UNIQUE INDEX member_one_owner ON groups.member ("group") WHERE role = \'owner\' AND state = \'active\'',
    'CREATE INDEX member_active ON groups.member ("group", joined_at, id) WHERE state = \'active\'',
    'CREATE UNIQUE INDEX follower_group_user ON groups.follower ("group", "user")',
    'CREATE INDEX chat_message_room ON groups.chat_message (kind, room_key, id DESC)',
    'CREATE UNIQUE INDEX chat_report_message_reporter ON groups.chat_report (message, reporter)',
    "CREATE INDEX chat_report_open ON groups.chat_report (id) WHERE status = 'open'",
    'CREATE UNIQUE INDEX partner_request_open ON groups.partner_request (event_id, "user") WHERE status = \'open\'',
    "CREATE INDEX partner_request_event_open ON groups.partner_request (event_id, id) WHERE status = 'open'",
    'CREATE UNIQUE INDEX partner_proposal_between ON groups.partner_proposal\n        (least(from_request, to_request), greatest(from_request, to_request))',
    'CREATE UNIQUE INDEX partner_block_pair ON groups.partner_block (blocker, blocked)',
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="groups", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for sql in STEPS:
            await engine.run_ddl(sql)  # joins the migration's transaction

    manager.add_raw(run)
    return manager
