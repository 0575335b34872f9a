"""Tables of reports (schema ``reports``): cases (one open case per target), the reports in them, blocked words."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Unique
from piccolo.table import Table

from core.users.tables import User


class ReportCase(Table, schema="reports", tablename="case_file"):
    """What staff decide: every open report of one target, from the first report until a moderator's decision.

    ``status`` ``open`` → ``upheld`` | ``dismissed`` (one open case per target: reports are filed under an advisory
    lock of the target). ``hidden``: the case hid the target (the reporters' threshold, or screening held it) and a
    dismissal shows it again. ``source``: ``reports`` (people) or ``screening`` (a blocklist match). ``decision`` is
    the action that closed it (``dismiss``, ``uphold``, or the target type's ``remove``, ``ban_author``…).
    """

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    target_type = Varchar(length=64)
    target_id = Integer(index=True)
    author = ForeignKey(User, null=True, default=None, index=True)  # whose content it is (upheld reports per author)
    status = Varchar(length=16, default="open", index=True)
    source = Varchar(length=16, default="reports")
    reporters = Integer(default=0)
    hidden = Boolean(default=False)
    summary = Varchar(length=300, default="")  # what the screener found
    opened_at = Timestamptz(default=TimestamptzNow())
    last_report_at = Timestamptz(default=TimestamptzNow())
    decision = Varchar(length=32, default="")
    note = Text(default="")
    decided_by = ForeignKey(User, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)


class Report(Table, schema="reports"):
    """One person's report of a target (one per reporter in each case)."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    case = ForeignKey(ReportCase, null=False, index=True)
    reporter = ForeignKey(User, null=False, index=True)
    target_type = Varchar(length=64)
    target_id = Integer()
    reason = Varchar(length=16)  # spam | scam | harassment | nudity | illegal | other
    text = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    report_case_reporter = Unique(["case", "reporter"])


class BlockedWord(Table, schema="reports"):
    """A word or phrase of a language's blocklist, stored with its stems (what the screener compares)."""

    id: Serial  # Piccolo's implicit primary key, declared for type checkers

    language = Varchar(length=8)
    word = Varchar(length=100)
    stems = Varchar(length=300)
    created_by = ForeignKey(User, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    blocked_word_key = Unique(["language", "stems"])
