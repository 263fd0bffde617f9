"""Members with a mouse, in headless Chromium: one signs up by a mailed link without a
password, sets up an authenticator app, signs out, and signs in with a link and a code;
another adds a passkey (Chromium's virtual authenticator, DevTools' WebAuthn domain) and
signs in with it alone."""

from __future__ import annotations

import time
from typing import Any

import pyotp
import pytest

from shared.dev.smtp import SmtpStandIn
from tests.sso.conftest import forget_signup_limits, sign_up
from tests.sso.test_browser_sso import SIGN_IN, chromium, fill_sign_in_form
from tests.support.live import LivePlatform

pytestmark = pytest.mark.slow

NAME = ".user-area__name"


async def sign_out(page: Any) -> None:
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_load_state()


async def open_mailed_link(page: Any, smtp: SmtpStandIn, email: str, subject: str) -> None:
    mail = smtp.wait_for(to=email, subject=subject)
    (link,) = {link for link in mail.links() if "/signin/link" in link}
    await page.goto(link)
    # The link's page signs in only when its button is pressed (a POST).
    await page.locator("main").get_by_role("button", name="Sign in", exact=True).click()


async def test_sign_up_by_link_add_an_authenticator_then_sign_in_with_link_and_code(
    live_sso: LivePlatform, smtp: SmtpStandIn
) -> None:
    federation = live_sso.public_url("federation")
    email = "linkmember@example.test"
    forget_signup_limits(live_sso)
    async with chromium() as (_context, page):
        await page.goto(federation + "/signup")
        await page.fill("#display_name", "Link Member")
        await page.fill("#username", "linkmember")
        await page.fill("#email", email)
        await page.get_by_role("button", name="Create account").click()
        assert await page.get_by_role("heading", name="Check your email").count() == 1

        await open_mailed_link(page, smtp, email, "Finish signing up")
        await page.wait_for_url(federation + "/")
        assert await page.locator(NAME).first.inner_text() == "Link Member"

        await page.locator('a[href="/security"]').click()
        await page.get_by_role("button", name="Set up an authenticator app").click()
        totp = pyotp.TOTP(await page.locator("#totp-secret").inner_text())
        assert await page.locator("figure.totp-qr svg").count() == 1
        await page.fill("#code", totp.now())
        await page.get_by_role("button", name="Turn it on").click()
        assert await page.get_by_role("heading", name="Your recovery codes").count() == 1
        assert await page.locator(".recovery-codes li").count() == 10

        await page.goto(federation + "/")
        await sign_out(page)
        assert await page.locator(NAME).count() == 0

        await page.goto(federation + "/")
        await page.locator(SIGN_IN).click()
        await page.fill("#link-email", email)
        await page.get_by_role("button", name="Email me a sign-in link").click()
        await open_mailed_link(page, smtp, email, "Your sign-in link")
        await page.wait_for_url(federation + "/signin/second-factor")
        # The enrolment code's step is spent: the next step's code (within the window).
        await page.fill("#code", totp.at(time.time() + 30))
        await page.get_by_role("button", name="Continue").click()
        await page.wait_for_url(federation + "/")
        assert await page.locator(NAME).first.inner_text() == "Link Member"


async def test_a_passkey_signs_a_member_in_alone(live_sso: LivePlatform) -> None:
    member = sign_up(live_sso, "passkeymember")
    member.browser.close()
    federation = live_sso.public_url("federation")
    async with chromium() as (context, page):
        devtools = await context.new_cdp_session(page)
        await devtools.send("WebAuthn.enable")
        await devtools.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        await page.goto(federation + "/")
        await page.locator(SIGN_IN).click()
        await fill_sign_in_form(page, member.username)
        await page.wait_for_url(federation + "/")
        await page.locator('a[href="/security"]').click()
        await page.fill("#passkey-name", "Test laptop")
        await page.get_by_role("button", name="Add a passkey").click()
        await page.get_by_role("button", name="Remove Test laptop").wait_for()

        await page.goto(federation + "/")
        await sign_out(page)
        await page.goto(federation + "/")
        await page.locator(SIGN_IN).click()
        await page.get_by_role("button", name="Sign in with a passkey").click()
        await page.wait_for_url(federation + "/")
        assert await page.locator(NAME).first.inner_text() == member.display_name
