"""Data migration: the open reports of the old ``reviews.report`` table go to core's one report queue (``core.reports``).

Each target with open reports gets an open case (or joins the open case it already has); each reporter's report
goes into it once (the unique (case, reporter) pair); the case counts its reporters. Idempotent: run again, it adds
nothing. The table itself is dropped by the next (generated) migration.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "carry_open_reports_to_core"

TARGET_TYPE = "reviews.review"

# the open reports of old: (target id, author, reporter, reason, text, reported at, whether the target is hidden)
OPEN = """
SELECT v.id AS target_id, v.author AS author, u.id AS reporter, 'other' AS reason, r.reason AS text,
       r.created_at AS at, v.status = 'held' AND v.hold_reason = 'reported' AS hidden
FROM reviews.report r JOIN reviews.review v ON v.id = r.review JOIN users.account u ON u.id = r.reporter_id
WHERE r.resolved_at IS NULL AND v.status IN ('published', 'held')
"""

STEPS = [
    f"""INSERT INTO reports.case_file (target_type, target_id, author, status, source, reporters, hidden, summary,
                                       opened_at, last_report_at, decision, note)
        SELECT '{TARGET_TYPE}', o.target_id, min(o.author), 'open', 'reports', 0, bool_or(o.hidden), '',
               min(o.at), max(o.at), '', ''
        FROM ({OPEN}) o
        WHERE NOT EXISTS (SELECT 1 FROM reports.case_file c WHERE c.target_type = '{TARGET_TYPE}'
                          AND c.target_id = o.target_id AND c.status = 'open')
        GROUP BY o.target_id""",
    f"""INSERT INTO reports.report ("case", reporter, target_type, target_id, reason, text, created_at)
        SELECT c.id, o.reporter, '{TARGET_TYPE}', o.target_id, o.reason, left(o.text, 2000), o.at
        FROM ({OPEN}) o JOIN reports.case_file c ON c.target_type = '{TARGET_TYPE}' AND c.target_id = o.target_id
             AND c.status = 'open'
        ON CONFLICT ("case", reporter) DO NOTHING""",
    f"""UPDATE reports.case_file c SET reporters = (SELECT count(*) FROM reports.report r WHERE r."case" = c.id),
               last_report_at = greatest(c.last_report_at, (SELECT max(r.created_at) FROM reports.report r
                                                            WHERE r."case" = c.id))
        WHERE c.target_type = '{TARGET_TYPE}' AND c.status = 'open'""",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="reviews", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for sql in STEPS:
            await engine.run_ddl(sql)  # joins the migration's transaction

    manager.add_raw(run)
    return manager
