"""End-to-end: a real headless Chromium drives the panel served by uvicorn; every outcome is checked in the database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from core import db
from core.users.tables import User
from tests.admin_ui.conftest import PASSWORD, event_status, pending_event, set_password

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
# Screenshots go to a scratch folder; `SBOR_SCREENSHOTS=docs/screenshots python3 manage.py test tests/admin_ui`
# refreshes the documented ones (a plain test run never rewrites files of the checkout).
SHOTS = ROOT / os.environ.get("SBOR_SCREENSHOTS", "var/screenshots")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed (apt-get install -y chromium)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(sbor_database: object, tmp_path: Path) -> Iterator[str]:
    """The app (admin, events, notify) in a uvicorn subprocess on a free port, on the test session's database."""
    plugins_file = tmp_path / "plugins.toml"
    plugins_file.write_text('enabled = ["admin", "events", "notify"]\n\n[settings.admin]\nrequire_totp = false\n')
    port = _free_port()
    env = {**os.environ, "SBOR_PLUGINS_FILE": str(plugins_file), "SBOR_LOG_LEVEL": "WARNING"}
    log_path = tmp_path / "server.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "core.app:asgi", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
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
                out = log_path.read_text(errors="replace")
                pytest.fail(f"server did not start:\n{out[-3000:]}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest_asyncio.fixture(loop_scope="session")
async def browser_page() -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = await browser.new_context(viewport={"width": 1280, "height": 860}, timezone_id="Europe/Berlin")
        page = await context.new_page()
        page.set_default_timeout(15_000)
        yield page
        await browser.close()


async def test_moderate_and_ban_in_a_real_browser(server: str, browser_page, make_user) -> None:
    page = browser_page
    # Given a moderator-admin, two events waiting for review and a user to ban
    admin = await make_user(roles=["admin"], email="ada@example.org", display_name="Ada Admin")
    await set_password(admin.id)
    author = await make_user(roles=["organiser"], display_name="Olga Organiser")
    first = await pending_event(author.id, "Board games night", days=3)
    second = await pending_event(author.id, "Spam giveaway", days=5)
    await pending_event(author.id, "Sunday trail run", days=9)
    troll = await make_user(display_name="Troll McTroll", email="troll@example.org")

    # When Ada signs in
    await page.goto(f"{server}/admin/login")
    await page.fill("#email", "ada@example.org")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector("h1:has-text('Dashboard')")
    assert "Europe/Berlin" in await page.inner_text(".me")  # the browser's timezone was taken at sign-in
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)

    # The queue lists the oldest submission first
    await page.goto(f"{server}/admin/moderation/events.review")
    rows = await page.locator("tbody tr td.title a.open").all_inner_texts()
    assert rows == ["Board games night", "Spam giveaway", "Sunday trail run"]
    await page.screenshot(path=str(SHOTS / "moderation-queue.png"), full_page=True)

    # Approve the first one
    await page.click("text=Board games night")
    await page.wait_for_selector("text=Olga Organiser")
    await page.screenshot(path=str(SHOTS / "moderation-item.png"), full_page=True)
    await page.click("#approve")
    await page.wait_for_selector(".flash:has-text('Approved')")
    assert await event_status(first) == "published"

    # Reject the second one with a reason (an empty reason first: the error shows next to the field)
    await page.click("text=Spam giveaway")
    await page.click("#reject")
    await page.wait_for_selector("#reason-error")
    await page.fill("#reason", "Commercial giveaways are not allowed.")
    await page.click("#reject")
    await page.wait_for_selector(".flash:has-text('Rejected')")
    assert await event_status(second) == "rejected"
    reasons = await db.fetch("SELECT reason FROM events.status_move WHERE event = $1 AND to_status = 'rejected'",
                             second)
    assert [r["reason"] for r in reasons] == ["Commercial giveaways are not allowed."]

    # Ban a user found by search
    await page.goto(f"{server}/admin/users")
    await page.fill("input[name=q]", "troll@")
    await page.press("input[name=q]", "Enter")
    await page.click("text=Troll McTroll")
    await page.fill("#ban-reason", "Harassment in comments")
    await page.click("#ban")
    await page.wait_for_selector(".flash:has-text('User banned')")
    await page.screenshot(path=str(SHOTS / "user.png"), full_page=True)
    row = await User.select(User.status, User.ban_reason).where(User.id == troll.id).first()
    assert row == {"status": "banned", "ban_reason": "Harassment in comments"}
    audit = await db.fetch("SELECT action FROM users.audit_entry WHERE actor_id = $1 ORDER BY id", admin.id)
    assert [a["action"] for a in audit] == ["login", "event.approve", "event.reject", "user.ban"]
    await page.goto(f"{server}/admin/audit")
    await page.screenshot(path=str(SHOTS / "audit-log.png"), full_page=True)

    # The same queue on a tablet in portrait: the menu folds above the content
    await page.set_viewport_size({"width": 820, "height": 1180})
    await page.goto(f"{server}/admin/moderation/events.review")
    assert await page.locator("tbody tr").count() == 1  # only the trail run is left
    await page.screenshot(path=str(SHOTS / "moderation-queue-tablet.png"), full_page=True)
