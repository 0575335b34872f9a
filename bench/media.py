"""Benchmark: 500 photos of 4000 x 3000 processed by one worker, beside Pillow alone doing the same work.

``python3 manage.py bench media [--photos N] [--sizes 320,960,1920]``. Uses the configured PostgreSQL (a fresh
database, dropped afterwards) and Redis (a private namespace), the local storage backend in a temporary directory,
and one real ``manage.py worker`` process with one thread. Distinct JPEGs (camera-like, quality 90, EXIF orientation
6) are made first in a pool. Then:

* ``baseline_photos_per_s``: Pillow alone in this process on the same files: decode, orient, re-encode the full
  image as JPEG, thumbnails at each size in WebP and JPEG, written to disk;
* ``photos_per_s``: every upload confirmed at once through media's services (the job queued in Redis); the worker
  processes them: N / (last thumbnail available - first confirmation). This is the real pipeline: read from storage,
  magic numbers, the same Pillow work, blurhash, dHash, screening (a query), content-addressed writes, the status
  move with its hooks;
* ``p99_s``: confirmation to thumbnail available, for N/10 (at least 10) more photos confirmed one at a time at 70 %
  of the measured throughput (so the figure is latency with some queueing, not the depth of a burst);
* ``peak_rss_mb``: the worker's process tree, polled every 0.2 s;
* ``ratio``: ``photos_per_s / baseline_photos_per_s`` (our overhead over Pillow's own work);
* ``cpu_ratio``: the same from CPU seconds (Pillow alone's per photo / the worker's process tree's per photo during
  the burst), which other load on a shared machine does not skew the way it skews wall-clock rates.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import scratch  # noqa: E402

WIDTH, HEIGHT = 4000, 3000


def make_photo(args: tuple[int, str]) -> None:
    """One distinct camera-sized JPEG: gradients, shapes and noise-like lines, a unique stamp, EXIF orientation 6."""
    from PIL import Image, ImageDraw

    index, path = args
    img = Image.linear_gradient("L").resize((WIDTH, HEIGHT)).convert("RGB")
    draw = ImageDraw.Draw(img)
    for i in range(120):
        x, y = (i * 97 + index * 31) % WIDTH, (i * 53 + index * 17) % HEIGHT
        draw.ellipse((x, y, x + 180 + i % 90, y + 140 + i % 70), fill=((i * 37 + index) % 256, (i * 11) % 256, 140))
        draw.line((0, (i * 29 + index) % HEIGHT, WIDTH, (i * 71) % HEIGHT), fill=(255 - i % 256, i % 256, 60), width=3)
    draw.text((40, 40), f"bench photo {index}", fill=(255, 255, 255))
    exif = Image.Exif()
    exif[0x0112] = 6
    img.save(path, "JPEG", quality=90, exif=exif.tobytes())


def pillow_alone(data: bytes, sizes: list[int], out: Path, index: int) -> None:
    """The same image work with Pillow only, written to disk."""
    from PIL import Image, ImageOps

    img: Image.Image = Image.open(io.BytesIO(data))
    img = ImageOps.exif_transpose(img).convert("RGB")
    img.save(out / f"{index}-full.jpg", "JPEG", quality=82, progressive=True)
    source = img
    for size in sorted(sizes, reverse=True):
        if max(source.size) > size:
            ratio = size / max(source.size)
            source = source.resize((round(source.width * ratio), round(source.height * ratio)),
                                   Image.Resampling.LANCZOS, reducing_gap=3.0)
        source.save(out / f"{index}-{size}.webp", "WEBP", quality=78, method=4)
        source.save(out / f"{index}-{size}.jpg", "JPEG", quality=82, progressive=True)


def tree_pids(pid: int) -> list[int]:
    """A process and its descendants, from /proc."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
        found.append(p)
    return found


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its descendants, from /proc."""
    ticks = 0
    for p in tree_pids(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return ticks / os.sysconf("SC_CLK_TCK")


def tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and its descendants (kB), from /proc."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


async def main(n: int, sizes: list[int]) -> None:
    def plugins(folder: Path) -> str:
        return ('enabled = ["events", "media"]\n[settings.media]\n'
                f'local_dir = "{folder / "media"}"\nper_user_per_day = 1000000\nper_event = 1000000\n'
                f'per_user_per_event = 1000000\nthumbnail_sizes = {json.dumps(sizes)}\n')

    # only core, events and media are discovered: another installed distribution cannot break the run
    async with scratch(plugins, "media", {"SBOR_TEST_PLUGINS": "events,media"}, remove_folder=True) as s:
        tmp = s.folder
        latency_n = max(10, n // 10)
        total = n + latency_n
        (tmp / "src").mkdir()
        t0 = time.perf_counter()
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            list(pool.map(make_photo, [(i, str(tmp / "src" / f"{i}.jpg")) for i in range(total)], chunksize=4))
        print(f"made {total} photos of {WIDTH}x{HEIGHT} in {time.perf_counter() - t0:.1f} s")

        # 1. Pillow alone, one process, the same files.
        (tmp / "baseline").mkdir()
        t0, cpu0 = time.perf_counter(), time.process_time()
        for i in range(n):
            pillow_alone((tmp / "src" / f"{i}.jpg").read_bytes(), sizes, tmp / "baseline", i)
            await asyncio.sleep(0)  # one Ctrl-C stops here (asyncio cancels at an await) and the clean-up still runs
        baseline_s, baseline_cpu = time.perf_counter() - t0, time.process_time() - cpu0
        baseline_rate = n / baseline_s
        print(f"Pillow alone: {n} photos in {baseline_s:.1f} s = {baseline_rate:.2f} photos/s")

        worker = None
        peak_kb = 0
        try:
            from core import db, jobs, migrations, settings
            from core.hooks import hookspecs
            from core.hooks.manager import load

            settings.reload()
            db.reset_engine()
            registry = load()
            await migrations.migrate(registry)
            await db.start_pool()
            jobs.configure_broker(s.redis_url, s.namespace)
            jobs.bind(registry.hooks.collect(hookspecs.register_actors))
            from core.users import services as users
            from core.users.tables import User
            from plugins.events import services as events
            from plugins.media import services as media
            from plugins.media import storage
            from plugins.media.tables import Item

            async def person(label: str, role: str | None = None) -> int:
                row = User(email=f"{label}-{uuid.uuid4().hex[:6]}@bench.test", display_name=label, is_verified=True,
                           password_hash="", referral_code=users.new_referral_code())
                await row.save()
                for r in ["user", *([role] if role else [])]:
                    await users.grant_role(row.id, r)
                return int(row.id)

            from datetime import timedelta

            from core import clock

            organiser, moderator = await person("organiser", "organiser"), await person("moderator", "moderator")
            starts = (clock.now() + timedelta(days=2)).replace(microsecond=0)
            event_id = await events.create_event(events.Actor(organiser), {
                "title": "Bench", "description": "", "starts_at": starts, "ends_at": starts + timedelta(hours=2),
                "online_url": "https://meet.example.org/b", "timezone": "UTC", "tags": ["bench"]})
            await events.submit(events.Actor(organiser), event_id)
            await events.approve(event_id, moderator)
            backend = storage.from_settings()

            async def prepared(i: int) -> int:
                data = (tmp / "src" / f"{i}.jpg").read_bytes()
                up = await media.request_upload(organiser, "image/jpeg", len(data), "events.gallery", event_id, sizes)
                await backend.put(await upload_key(up.item.id), data, "image/jpeg")
                return up.item.id

            async def upload_key(item_id: int) -> str:
                row = await Item.select(Item.upload_key).where(Item.id == item_id).first()
                return str(row["upload_key"]) if row else ""

            burst = [await prepared(i) for i in range(n)]
            paced = [await prepared(i) for i in range(n, total)]
            log = open(tmp / "worker.log", "wb")  # noqa: ASYNC230
            worker = subprocess.Popen([sys.executable, "-m", "core.cli", "worker", "--processes", "1", "--threads", "1",  # noqa: ASYNC220
                                       "--no-scheduler"], cwd=ROOT, env={**os.environ, "SBOR_LOG_LEVEL": "INFO"},
                                      stdout=log, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + 60
            while b"worker up" not in (tmp / "worker.log").read_bytes():
                if time.monotonic() > deadline or worker.poll() is not None:
                    tail = (tmp / "worker.log").read_text()[-2000:]
                    raise SystemExit(f"the worker did not start ({worker.poll()}):\n{tail}")
                await asyncio.sleep(0.2)

            async def wait_done(ids: list[int], limit_s: float) -> None:
                nonlocal peak_kb
                deadline = time.monotonic() + limit_s
                while await Item.count().where(Item.id.is_in(ids), Item.status.is_in(["processing", "uploading"])):
                    peak_kb = max(peak_kb, tree_rss_kb(worker.pid))
                    if time.monotonic() > deadline:
                        raise SystemExit("the worker did not finish in time")
                    await asyncio.sleep(0.2)

            # 2. Throughput: every upload confirmed at once.
            worker_cpu0 = tree_cpu_s(worker.pid)
            for item_id in burst:
                await media.confirm(organiser, item_id)
            await wait_done(burst, 60 + n * 10)
            worker_cpu = tree_cpu_s(worker.pid) - worker_cpu0
            rows = await Item.select(Item.confirmed_at, Item.processed_at, Item.status).where(Item.id.is_in(burst))
            bad = [r for r in rows if r["status"] != "approved"]
            if bad:
                raise SystemExit(f"{len(bad)} photos not approved: {bad[:3]}")
            span = (max(r["processed_at"] for r in rows) - min(r["confirmed_at"] for r in rows)).total_seconds()
            rate = n / span
            print(f"media, one worker: {n} photos in {span:.1f} s = {rate:.2f} photos/s "
                  f"(Pillow alone {baseline_rate:.2f}: ratio {rate / baseline_rate:.2f})")
            print(f"CPU per photo: the worker {worker_cpu / n:.2f} s, Pillow alone {baseline_cpu / n:.2f} s "
                  f"(cpu_ratio {baseline_cpu / worker_cpu:.2f})")

            # 3. Latency: more photos confirmed one at a time at 70 % of that throughput.
            gap = 1 / (0.7 * rate)
            for item_id in paced:
                started = time.monotonic()
                await media.confirm(organiser, item_id)
                peak_kb = max(peak_kb, tree_rss_kb(worker.pid))
                await asyncio.sleep(max(0.0, gap - (time.monotonic() - started)))
            await wait_done(paced, 60 + latency_n * 10)
            rows = await Item.select(Item.confirmed_at, Item.processed_at).where(Item.id.is_in(paced))
            latencies = sorted((r["processed_at"] - r["confirmed_at"]).total_seconds() for r in rows)
            p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
            p50 = latencies[len(latencies) // 2]
            print(f"confirmation to thumbnail, {latency_n} photos at {0.7 * rate:.2f}/s: p50 {p50:.2f} s, "
                  f"p99 {p99:.2f} s")
            print(f"peak RSS of the worker's processes: {peak_kb / 1024:.0f} MB")
            await db.close_pool()
        finally:
            if worker is not None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
    print(json.dumps({"bench": "media", "photos": n, "photos_per_s": round(rate, 3),
                      "baseline_photos_per_s": round(baseline_rate, 3), "ratio": round(rate / baseline_rate, 3),
                      "p99_s": round(p99, 3), "p50_s": round(p50, 3), "peak_rss_mb": round(peak_kb / 1024, 1),
                      "cpu_s_per_photo": round(worker_cpu / n, 3),
                      "baseline_cpu_s_per_photo": round(baseline_cpu / n, 3),
                      "cpu_ratio": round(baseline_cpu / worker_cpu, 3)}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=500)
    parser.add_argument("--sizes", default="320,960,1920")
    ns = parser.parse_args()
    asyncio.run(main(ns.photos, [int(s) for s in ns.sizes.split(",")]))
