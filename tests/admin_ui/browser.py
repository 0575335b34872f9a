"""What the panel's browser tests share: Debian's chromium, the app served by uvicorn on a free port, signing in.

The tests skip, saying why, without ``/usr/bin/chromium`` (``CHROMIUM_BIN`` names another build). Screenshots go to
``var/screenshots/``; ``SBOR_SCREENSHOTS=docs/screenshots python3 manage.py test tests/admin_ui`` refreshes the
documented ones (a plain test run never rewrites files of the checkout).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.admin_ui.conftest import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_BIN") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / os.environ.get("SBOR_SCREENSHOTS", "var/screenshots")

needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                    reason=f"{CHROMIUM} not installed (apt-get install -y chromium)")
MARKS = [pytest.mark.e2e, needs_chromium]
"""``pytestmark = MARKS`` in a module of browser tests (``@pytest.mark.e2e`` and ``@needs_chromium`` on one test)."""


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def panel_server(folder: Path, plugins: Sequence[str] = ("admin", "events", "notify"), settings: str = "",
                 ) -> Iterator[str]:
    """The app with ``plugins`` (the panel without TOTP; ``settings``: more TOML) in uvicorn, on the test database.

    Yields the base URL once ``/admin/login`` answers; stops the server afterwards. The session's database and Redis
    namespace come from the environment ``core.testing``'s ``sbor_env`` set (ask for ``sbor_database`` first).
    """
    plugins_file = folder / "plugins.toml"
    enabled = ", ".join(f'"{p}"' for p in plugins)
    plugins_file.write_text(f"enabled = [{enabled}]\n\n[settings.admin]\nrequire_totp = false\n\n{settings}")
    port = free_port()
    env = {**os.environ, "SBOR_PLUGINS_FILE": str(plugins_file), "SBOR_LOG_LEVEL": "WARNING"}
    log_path = folder / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "core.app:asgi", "--host", "127.0.0.1", "--port",
             str(port), "--log-level", "warning"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/admin/login", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"server did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
                time.sleep(0.2)  # polling a starting server: the condition is checked each round
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """A headless Debian chromium driven by Playwright."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


async def sign_in(browser: Any, base: str, email: str, *, width: int = 1280, timezone: str = "Europe/Berlin",
                  landed: str = "main h1") -> Any:
    """A new page (own cookies) signed in to the panel as ``email`` (password ``PASSWORD``), at ``width`` px."""
    context = await browser.new_context(viewport={"width": width, "height": 860}, timezone_id=timezone)
    page = await context.new_page()
    page.set_default_timeout(15_000)
    await page.goto(f"{base}/admin/login")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector(landed)
    return page


async def shot(page: Any, name: str, *, full_page: bool = True) -> None:
    """Save a screenshot as ``SHOTS/name``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / name), full_page=full_page)
