"""Benchmark: the panel's CSV export and its busiest chart, on an audit log of ``BENCH_ROWS`` (20 000) entries.

Run with ``python3 manage.py bench admin_export``. In a scratch database the audit log gets ``BENCH_ROWS`` entries
(a third of them moderation decisions, spread over a year); then:

* the export: every entry through the audit page's own loader, 200 rows a page by its keyset cursor, written as CSV
  (``admin_ui.pages.export``: formula-safe cells, dates in a zone) — rows per second;
* the baseline: one ``SELECT`` of the same rows written by ``csv.writer`` as they are (no pages, no cell checks);
* the chart "moderation decisions per day" over 366 days (``admin_ui.charts``): loader and SVG geometry, in ms.

Ends with one JSON line: ``{"bench": "admin_export", "rows", "per_s", "baseline_per_s", "ratio", "chart_ms"}``.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import report, scratch  # noqa: E402

ROWS = int(os.environ.get("BENCH_ROWS", "20000"))

FILL = """
INSERT INTO users.audit_entry (actor_id, actor_label, action, object_type, object_id, before, after, reason, ip,
                               request_id, origin, created_at)
SELECT n % 50, 'moderator' || (n % 50) || '@example.org',
       (ARRAY['event.approve', 'event.reject', 'user.ban'])[1 + n % 3], (ARRAY['event', 'event', 'user'])[1 + n % 3],
       n::text, '{"status": "pending_review"}'::jsonb, '{"status": "published", "title": "=1+1 game night"}'::jsonb,
       'reason ' || n, '127.0.0.1', md5(n::text), 'api', now() - (n % 365) * interval '1 day'
FROM generate_series(1, $1) AS n
"""


async def main() -> None:
    """Fill the audit log, export it both ways, draw the chart, print the figures."""
    async with scratch('enabled = ["admin"]\n\n[settings.admin]\nrequire_totp = false\n', "admin-export",
                       remove_folder=True):
        from core import db, migrations, settings
        from core.hooks.manager import load

        settings.reload()
        db.reset_engine()
        registry = load()
        await migrations.migrate(registry)
        await db.start_pool()
        try:
            from admin_ui import audit, charts
            from admin_ui.pages import export
            from core import clock
            from core.admin import ChartQuery

            await db.fetch(FILL, ROWS)
            names = ["created_at", "actor_id", "actor_label", "action", "object_type", "object_id", "before",
                     "after", "reason", "origin", "ip", "request_id"]

            async def page(cursor: str | None):  # type: ignore[no-untyped-def]
                return await audit.entries({}, cursor, export.BATCH)

            start = time.perf_counter()
            size = written = 0
            async for chunk in export._rows(await page(None), page, names, ROWS + 1, "Europe/Moscow"):
                size += len(chunk)
                written += chunk.count(b"\r\n")  # rows without line breaks inside: true of this data
            export_s = time.perf_counter() - start

            start = time.perf_counter()
            rows = await db.fetch("SELECT " + ", ".join(names) + " FROM users.audit_entry ORDER BY id DESC")
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\r\n")
            for r in rows:
                writer.writerow([r[n] for n in names])
            base_size = len(buf.getvalue().encode())
            baseline_s = time.perf_counter() - start

            today = clock.now().date()
            query = ChartQuery(since=today - timedelta(days=365), until=today)
            start = time.perf_counter()
            chart = charts.BUILT_IN[0]
            charts.figure(chart, await chart.load(query), query)
            chart_ms = (time.perf_counter() - start) * 1000
        finally:
            await db.close_pool()
    print(f"{ROWS} audit entries; export wrote {written} rows ({size / 1e6:.1f} MB), baseline {base_size / 1e6:.1f} MB")
    print(f"export (keyset pages of {export.BATCH}, safe cells): {written / export_s:9.0f} rows/s ({export_s:.2f} s)")
    print(f"baseline (one SELECT, csv.writer):        {len(rows) / baseline_s:9.0f} rows/s ({baseline_s:.2f} s)")
    print(f"chart 'decisions per day', 366 days:      {chart_ms:9.1f} ms")
    report("admin_export", {"rows": written, "per_s": round(written / export_s),
                            "baseline_per_s": round(len(rows) / baseline_s),
                            "ratio": round((written / export_s) / (len(rows) / baseline_s), 2),
                            "chart_ms": round(chart_ms, 1)})


if __name__ == "__main__":
    asyncio.run(main())
