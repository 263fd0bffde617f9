"""A member in headless Chromium changes their email address on Sign-in and security and
confirms it from the link mailed to the new address (through the SMTP stand-in); the old
address gets a notice only. Then a new password: the browser stays signed in, the
member's other session (an HTTP client signed in at sign-up) does not."""

from __future__ import annotations

import pytest

from shared.dev.smtp import SmtpStandIn
from tests.sso.conftest import PASSWORD, sign_up
from tests.sso.test_browser_sso import SIGN_IN, chromium, fill_sign_in_form
from tests.support.live import LivePlatform

pytestmark = pytest.mark.slow


async def test_a_member_changes_their_email_and_confirms_it_from_the_mailed_link(
    live_sso: LivePlatform, smtp: SmtpStandIn
) -> None:
    member = sign_up(live_sso, "mover")
    member.browser.close()
    federation = live_sso.public_url("federation")
    new_email = "mover.new@example.test"
    async with chromium() as (_context, page):
        await page.goto(federation + "/")
        await page.locator(SIGN_IN).click()
        await fill_sign_in_form(page, member.username)
        await page.wait_for_url(federation + "/")

        await page.locator('a[href="/security"]').first.click()
        assert await page.get_by_role("heading", name="Signed-in devices").count() == 1
        assert await page.get_by_text("(this device)").count() == 1
        # The sign-up's HTTP client is signed in too: a second device.
        assert await page.locator("tr[data-device]").count() == 2
        await page.fill("#new-email", new_email)
        await page.fill("#change-password", PASSWORD)
        await page.get_by_role("button", name="Change my address").click()
        assert await page.get_by_role("heading", name="Check your new address").count() == 1

        notice = smtp.wait_for(to=member.email, subject="A change of your email")
        assert not [link for link in notice.links() if "/security/email/confirm" in link]
        mail = smtp.wait_for(to=new_email, subject="Confirm your new email address")
        (link,) = {link for link in mail.links() if "/security/email/confirm" in link}
        await page.goto(link)
        await page.get_by_role("button", name=f"Use {new_email}").click()
        assert await page.get_by_role("heading", name="Email address changed").count() == 1

        await page.goto(federation + "/security")
        assert await page.get_by_text(f"{new_email} is confirmed.").count() == 1

        # A new password: the other session ends, this browser stays signed in.
        await page.fill("#current-password", PASSWORD)
        await page.fill("#new-password", "another long passphrase")
        await page.get_by_role("button", name="Change my password").click()
        await page.wait_for_url(federation + "/security?changed=password")
        assert await page.get_by_text("Your password is changed.").count() == 1
        assert await page.locator("tr[data-device]").count() == 1
        assert await page.get_by_text("(this device)").count() == 1
        smtp.wait_for(to=new_email, subject="Your password was changed")
