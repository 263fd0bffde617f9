"""A member with a mouse, in headless Chromium: sign in once at federation and be
signed in on every app (each with its own cookie on its own host); sign out on
one and be signed out on all six."""

from __future__ import annotations

import shutil

import pytest

from shared.infrastructure.config import APP_NAMES
from tests.sso.conftest import PASSWORD, sign_up
from tests.support.live import LivePlatform

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SIGN_IN = '.user-area a[href="/auth/login"]'
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


async def test_sign_in_once_is_everywhere_and_sign_out_once_is_everywhere(
    live_sso: LivePlatform,
) -> None:
    playwright_api = pytest.importorskip("playwright.async_api")
    member = sign_up(live_sso, "browsermember")
    member.browser.close()
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context()
            context.set_default_timeout(15_000)
            page = await context.new_page()

            # Sign in at federation with the form.
            await page.goto(live_sso.public_url("federation") + "/")
            await page.locator(SIGN_IN).click()
            await page.fill("#login", member.username)
            await page.fill("#password", PASSWORD)
            await page.locator("main").get_by_role("button", name="Sign in").click()
            await page.wait_for_url(live_sso.public_url("federation") + "/")
            names = page.locator(".user-area__name")
            assert await names.first.inner_text() == member.display_name

            # Every other app: signed in without a click, with its own host-only cookie.
            for name in ("blog", "market", "cart", "events", "account"):
                await page.goto(live_sso.public_url(name) + "/")
                assert await names.first.inner_text() == member.display_name, name
                cookies = await context.cookies(live_sso.public_url(name))
                session = [c for c in cookies if c["name"] == "ra_session"]
                assert len(session) == 1, name
                assert session[0]["domain"] == f"{name}.localhost"  # host-only: no leading dot
                assert session[0]["httpOnly"] and session[0]["sameSite"] == "Lax"
            every = {c["value"] for c in await context.cookies() if c["name"] == "ra_session"}
            assert len(every) == len(APP_NAMES)  # six different sessions

            # Sign out on market: signed out on all six after the next page load.
            await page.goto(live_sso.public_url("market") + "/")
            await page.get_by_role("button", name="Sign out").click()
            await page.wait_for_url(live_sso.public_url("market") + "/")
            for name in APP_NAMES:
                await page.goto(live_sso.public_url(name) + "/")
                assert await names.count() == 0, name
                assert await page.locator(SIGN_IN).count() == 1, name
            await page.screenshot(path=str(live_sso.log_dir / "signed-out.png"))
        finally:
            await browser.close()
