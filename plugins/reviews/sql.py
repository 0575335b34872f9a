"""The raw SQL of reviews that earns its place: the aggregates' atomic upsert, row locks, the invitations' claim.

Every public constant is a complete statement with Piccolo's ``{}`` placeholders, run with ``Table.raw`` so it joins
the current transaction; ``tests/test_sql_contract.py`` prepares each against the migrated database. Why raw: the
aggregates add a review's deltas to several targets in one ``INSERT … ON CONFLICT DO UPDATE SET count = count + …``
(atomic under concurrent reviews, no recount; Piccolo's ``on_conflict`` cannot add to the stored value), and the
invitations claim every attendee's 30-day slot in one conditional upsert.
"""

from __future__ import annotations

_REVIEW_COLUMNS = (
    "r.id, r.event_id, r.organiser_id, r.venue_id, r.author AS author_id, r.rating, r.text, r.tags, r.media_refs, "
    "r.would_go_again, r.status, r.hold_reason, r.hidden_reason, r.flagged_at, r.open_reports, r.helpful, r.reply, "
    "r.replied_at, r.reply_edited_at, r.event_deleted, r.created_at, r.updated_at, r.published_at"
)

REVIEW_FOR_UPDATE = f"SELECT {_REVIEW_COLUMNS} FROM reviews.review r WHERE r.id = {{}} FOR UPDATE"
"""A review under its row lock, for the rest of the transaction (edits, moderation, replies, reports queue here)."""

EVENT_REVIEWS_FOR_UPDATE = (
    f"SELECT {_REVIEW_COLUMNS} FROM reviews.review r WHERE r.event_id = {{}} AND NOT r.event_deleted "
    "ORDER BY r.id FOR UPDATE"
)
"""The reviews of one event not yet hidden for its deletion, under their row locks (in id order)."""

APPLY_DELTA = """WITH t AS (SELECT * FROM unnest({}::varchar[], {}::int[]) WITH ORDINALITY AS t(target, target_id, n))
INSERT INTO reviews.aggregate AS a (target, target_id, reviews, total, stars_1, stars_2, stars_3, stars_4, stars_5,
                                    updated_at)
SELECT t.target, t.target_id, {}::int, {}::int, {}::int, {}::int, {}::int, {}::int, {}::int, {}::timestamptz
FROM t ORDER BY t.n
ON CONFLICT (target, target_id) DO UPDATE SET
    reviews = a.reviews + EXCLUDED.reviews, total = a.total + EXCLUDED.total,
    stars_1 = a.stars_1 + EXCLUDED.stars_1, stars_2 = a.stars_2 + EXCLUDED.stars_2,
    stars_3 = a.stars_3 + EXCLUDED.stars_3, stars_4 = a.stars_4 + EXCLUDED.stars_4,
    stars_5 = a.stars_5 + EXCLUDED.stars_5, updated_at = EXCLUDED.updated_at
RETURNING a.target, a.target_id, a.reviews, a.total, a.stars_1, a.stars_2, a.stars_3, a.stars_4, a.stars_5"""
"""Add one change's deltas to each target: targets ({} kinds, {} ids, always in the order event, organiser, venue, so
concurrent transactions lock them in one order), then reviews, total, stars 1..5 and now; returns the new figures
(count, total and histogram of each target)."""

CLAIM_INVITES = """INSERT INTO reviews.invite_log AS l (user_id, event_id, sent_at)
SELECT u.user_id, {}::int, u.at FROM unnest({}::int[], {}::timestamptz[]) AS u(user_id, at) ORDER BY u.user_id
ON CONFLICT (user_id) DO UPDATE SET event_id = EXCLUDED.event_id, sent_at = EXCLUDED.sent_at
WHERE l.sent_at <= {}::timestamptz
RETURNING l.user_id"""
"""Claim the invitation slot of each user ({} the event, {} users, {} when each one's invitation goes out) whose last
invitation went out at or before {} (the start of the quiet period); returns the users to invite. Rows are locked in
user order, so two events finishing at once never deadlock."""

AGGREGATE_FOR_UPDATE = """SELECT target, target_id, reviews, total, stars_1, stars_2, stars_3, stars_4, stars_5
FROM reviews.aggregate WHERE id = {} FOR UPDATE"""
"""One aggregate row, locked until the commit (a review changing it meanwhile waits, then writes the newer figures)."""
