"""Benchmark: text screening of chat-sized messages against staff's blocklists, and the naive way as a baseline.

Run with ``python3 manage.py bench screening``. In a scratch database, staff's blocklists get ``BENCH_WORDS`` (400)
Russian and English words; then 5 000 messages (about 200 characters of Russian and English, 1 in 20 carrying a
blocked word in another form) are screened:

* ``core.reports.screening.screen`` — both languages, stems matched (every word form), the lists cached in the
  process and checked against the Redis counter (one read shared by the screenings of 0.25 s);
* the baseline: what the reviews plugin did before, one case-insensitive whole-word regex per blocked word over the
  text (it matches only the form written, so it finds fewer).

Figures: messages per second and p99 latency of each, the ratio, and how many held messages each found. Ends with one
JSON line: ``{"bench": "screening", "per_s", "baseline_per_s", "ratio", "p99_ms", "found", "baseline_found"}``.
"""

# ruff: noqa: RUF001  (Russian words are the point of this benchmark)
from __future__ import annotations

import asyncio
import os
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import report, scratch  # noqa: E402

WORDS = int(os.environ.get("BENCH_WORDS", "400"))
MESSAGES = int(os.environ.get("BENCH_MESSAGES", "5000"))
RU = ["встреча", "концерт", "билет", "вечер", "друзья", "погода", "кофе", "город", "музыка", "парк", "работа",
      "дорога", "время", "место", "игра", "книга", "выставка", "театр", "праздник", "прогулка"]
EN = ["meeting", "concert", "ticket", "evening", "friends", "weather", "coffee", "city", "music", "park", "work",
      "road", "time", "place", "game", "book", "exhibition", "theatre", "holiday", "walk"]
BLOCKED_RU = ["мошенник", "казино", "закладка", "ставка", "кидала"]
FORMS_RU = ["мошенники", "казино", "закладку", "ставками", "кидалы"]


def blocklist(rng: random.Random) -> list[tuple[str, str]]:
    """``WORDS`` entries: the five real ones, then made-up words of both languages."""
    out = [("ru", w) for w in BLOCKED_RU]
    syllables_ru, syllables_en = ["ка", "ро", "ми", "ну", "ле", "ты", "за", "по"], ["ka", "ro", "mi", "nu", "le", "ty"]
    while len(out) < WORDS:
        if len(out) % 2:
            out.append(("ru", "".join(rng.choice(syllables_ru) for _ in range(4))))
        else:
            out.append(("en", "".join(rng.choice(syllables_en) for _ in range(4))))
    return out


def messages(rng: random.Random) -> list[str]:
    """Chat-sized texts; one in twenty carries a blocked word in a form other than the one blocked."""
    out = []
    for i in range(MESSAGES):
        words = [rng.choice(RU if rng.random() < 0.6 else EN) for _ in range(24)]
        if i % 20 == 0:
            words[rng.randrange(len(words))] = rng.choice(FORMS_RU)
        out.append(" ".join(words).capitalize() + "!")
    return out


async def timed(texts: list[str], check: object) -> tuple[float, float, int]:
    """(messages per second, p99 in ms, how many were held)."""
    latencies, held = [], 0
    start = time.perf_counter()
    for text in texts:
        t0 = time.perf_counter()
        if await check(text):  # type: ignore[operator]
            held += 1
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start
    latencies.sort()
    return len(texts) / elapsed, latencies[int(len(latencies) * 0.99)] * 1000, held


async def main() -> None:
    """Fill the blocklists, screen the messages both ways, print the figures."""
    rng = random.Random(11)
    entries, texts = blocklist(rng), messages(rng)
    async with scratch('enabled = []\n', "screening", remove_folder=True):
        from core import db, migrations, settings
        from core.hooks.manager import load

        settings.reload()
        db.reset_engine()
        registry = load()
        await migrations.migrate(registry)
        await db.start_pool()
        try:
            from core.reports import screening

            for language, word in entries:
                try:
                    await screening.block(language, word, None)
                except Exception:  # two made-up words with one stem: one entry is enough
                    pass
            patterns = [re.compile(rf"(?<!\w){re.escape(w)}(?!\w)", re.IGNORECASE) for _l, w in entries]

            async def stems(text: str) -> bool:
                return bool(await screening.screen(text, ["ru", "en"]))

            async def naive(text: str) -> bool:
                return any(p.search(text) for p in patterns)

            await timed(texts[:200], stems)  # warm the cache and the stemmers
            per_s, p99, found = await timed(texts, stems)
            base_per_s, base_p99, base_found = await timed(texts, naive)
        finally:
            await db.close_pool()
    print(f"{len(entries)} blocked words, {len(texts)} messages of ~{sum(map(len, texts)) // len(texts)} characters")
    print(f"screen() (stems, ru+en):      {per_s:8.0f} messages/s, p99 {p99:.3f} ms, held {found}")
    print(f"baseline (a regex per word):  {base_per_s:8.0f} messages/s, p99 {base_p99:.3f} ms, held {base_found}")
    report("screening", {"per_s": round(per_s), "baseline_per_s": round(base_per_s),
                         "ratio": round(per_s / base_per_s, 2), "p99_ms": round(p99, 3), "found": found,
                         "baseline_found": base_found})


if __name__ == "__main__":
    asyncio.run(main())
