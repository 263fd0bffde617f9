"""Acceptance, in headless Chromium against the six real apps, the jobs worker, the SumUp
stand-in and the SMTP stand-in: a member buys two tickets through the cart, sees both with
their QR codes (and in their private feed); the organiser checks one in, and checking it
in again says "already used"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import icalendar
import pytest

from shared.dev.smtp import SmtpStandIn
from shared.dev.sumup import SumUpStandIn
from tests.conftest import TEST_SECRET_KEY
from tests.sso.conftest import sign_up, to_internal
from tests.sso.test_browser_sso import SIGN_IN, chromium, fill_sign_in_form
from tests.support.databases import DatabaseServer
from tests.support.live import LivePlatform, redis_database, running_platform, smtp_env, sumup_env

pytestmark = pytest.mark.slow
DATABASE = "rose_ash_tickets_browser"


@pytest.fixture(scope="module")
def mail() -> Iterator[SmtpStandIn]:
    with SmtpStandIn() as stand_in:
        yield stand_in


@pytest.fixture(scope="module")
def payments() -> Iterator[SumUpStandIn]:
    with SumUpStandIn(webhook_delays=(0, 0.5, 1, 2)) as stand_in:
        yield stand_in


@pytest.fixture(scope="module")
def live(
    database_server: DatabaseServer,
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    mail: SmtpStandIn,
    payments: SumUpStandIn,
) -> Iterator[LivePlatform]:
    with running_platform(
        database_server,
        DATABASE,
        redis_database(redis_url, 7),
        TEST_SECRET_KEY,
        tmp_path_factory.mktemp("tickets-logs"),
        {**smtp_env(mail), **sumup_env(payments)},
        setup=lambda p: p.extra_env.update(SUMUP_WEBHOOK_BASE_URL=p.internal_url("cart")),
    ) as platform:
        yield platform


async def _ticketed_event(database_url: str, organiser: str) -> str:
    """A published gig of the organiser's calendar with 10 standing tickets at £12."""
    conn = await asyncpg.connect(database_url)
    try:
        owner = await conn.fetchval("SELECT id FROM users WHERE username = $1", organiser)
        calendar = await conn.fetchval(
            "INSERT INTO calendars (slug, name, owner_id) VALUES ('hall', 'Village Hall', $1) "
            "RETURNING id",
            owner,
        )
        starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=12)
        event = await conn.fetchval(
            "INSERT INTO events (calendar_id, slug, title, starts_at, ends_at, time_zone, status)"
            " VALUES ($1, 'folk-night', 'Folk night', $2, $3, 'Europe/London', 'published')"
            " RETURNING id",
            calendar,
            starts,
            starts + timedelta(hours=3),
        )
        await conn.execute(
            "INSERT INTO ticket_types (event_id, name, price_minor, currency, quantity) "
            "VALUES ($1, 'Standing', 1200, 'GBP', 10)",
            event,
        )
    finally:
        await conn.close()
    return "/hall/folk-night/"


async def _signed_in(page: Any, live: LivePlatform, app: str, username: str) -> None:
    """On `app`'s home page as `username` (the sign-in form only if SSO has no session)."""
    home = live.public_url(app) + "/"
    await page.goto(home)
    if await page.locator(SIGN_IN).count():
        await page.locator(SIGN_IN).click()
        if await page.locator("#login").count():
            await fill_sign_in_form(page, username)
        await page.wait_for_url(home)
    assert await page.locator(SIGN_IN).count() == 0


async def test_a_member_buys_two_tickets_and_the_organiser_checks_one_in(
    live: LivePlatform, mail: SmtpStandIn, payments: SumUpStandIn
) -> None:
    for username in ("hallorganiser", "ticketbuyer"):
        sign_up(live, username).browser.close()
    event_path = await _ticketed_event(live.database_url, "hallorganiser")
    events = live.public_url("events")

    async with chromium() as (_context, page):
        await _signed_in(page, live, "cart", "ticketbuyer")
        await _signed_in(page, live, "events", "ticketbuyer")
        await page.goto(events + event_path)
        tickets = page.locator("section", has=page.get_by_role("heading", name="Tickets"))
        assert await tickets.get_by_text("10 left").count() == 1
        await tickets.get_by_label("Seats").fill("2")
        await tickets.get_by_role("button", name="Add to cart").click()
        # The cart confirms an add from another site (the events app's origin).
        await page.get_by_role("button", name="Add to cart", exact=True).click()
        await page.wait_for_url(events + event_path)

        await page.goto(live.public_url("cart") + "/")
        assert await page.get_by_text("Folk night: Standing").count() >= 1
        await page.get_by_role("button", name="Check out").click()
        await page.fill("input[name=email]", "ticketbuyer@example.test")
        await page.fill("input[name=name]", "Ticket Buyer")
        await page.get_by_role("button", name="Review order").click()
        await page.get_by_role("button", name="Pay £24.00").click()

        await page.wait_for_url(re.compile(re.escape(payments.url) + "/pay/.*"))
        assert await page.locator("[data-amount]").inner_text() == "24.00 GBP"
        await page.get_by_role("button", name="Pay", exact=True).click()
        await page.wait_for_url(re.compile(r".*/orders/[A-Z0-9-]+\?t=.*"))
        assert await page.get_by_text("your payment is confirmed").count() == 1

        # Both tickets, each on its page with its QR code.
        await page.goto(events + "/")
        await page.get_by_role("link", name="Your tickets").click()
        await page.wait_for_url(events + "/tickets/")
        links = page.locator("main a[href^='/tickets/']")
        assert await links.count() == 2
        hrefs = [await links.nth(i).get_attribute("href") for i in range(2)]
        codes = [href.split("/")[2] for href in hrefs if href]
        assert len(set(codes)) == 2
        for href, code in zip(hrefs, codes, strict=True):
            await page.goto(events + str(href))
            assert await page.locator(".ticket__qr svg").count() == 1
            assert await page.locator(".ticket__qr code").inner_text() == code
            assert await page.get_by_text("Status: valid").count() == 1

        # The account dashboard: the paid order and both tickets, in the cards that cart
        # and events serve, and the member's own tickets page with the codes.
        account = live.public_url("account")
        await _signed_in(page, live, "account", "ticketbuyer")
        orders_card = page.locator("[data-fragment=member-orders]")
        assert "paid, £24.00" in await orders_card.inner_text()
        tickets_card = page.locator("[data-fragment=member-tickets]")
        assert await tickets_card.get_by_role("link", name="Folk night: Standing").count() == 2
        await tickets_card.get_by_role("link", name="All tickets").click()
        await page.wait_for_url(account + "/tickets/")
        listed = await page.locator("main").inner_text()
        assert all(f"code {code}" in listed for code in codes)

        # The private feed lists both tickets.
        await page.goto(events + "/feeds/")
        await page.get_by_role("button", name="Make my private feed").click()
        feed_url = await page.locator("[role=status] code").inner_text()
    async with httpx.AsyncClient(timeout=30) as client:
        feed = await client.get(to_internal(live, feed_url))
    assert feed.status_code == 200
    calendar = icalendar.Calendar.from_ical(feed.text)
    urls = sorted(str(v["url"]) for v in calendar.walk("VEVENT"))
    assert [u.rsplit("/", 2)[1] for u in urls] == sorted(codes)

    # The buyer's tickets came by mail too (the job runs in the worker).
    tickets_mail = mail.wait_for(to="ticketbuyer@example.test", subject="ticket", timeout=60)
    assert all(code in tickets_mail.text for code in codes)

    async with chromium() as (_context, page):
        await _signed_in(page, live, "events", "hallorganiser")
        await page.goto(events + event_path)
        assert await page.get_by_text("8 left").count() == 1
        await page.get_by_role("link", name="Check-in").click()
        await page.get_by_label("Ticket code").fill(codes[0].lower())
        await page.get_by_role("button", name="Check in").click()
        assert (await page.get_by_role("status").inner_text()).startswith("Valid: welcome in.")
        await page.get_by_label("Ticket code").fill(codes[0])
        await page.get_by_role("button", name="Check in").click()
        assert (await page.get_by_role("status").inner_text()).startswith("Already used")

        # The other ticket is still valid; the checked-in one says so on its page.
        await page.goto(events + f"/tickets/{codes[0]}/")
        assert await page.get_by_text("Status: checked in").count() == 1
        await page.goto(events + f"/tickets/{codes[1]}/")
        assert await page.get_by_text("Status: valid").count() == 1

    # The buyer's dashboard says so at once: the check-in dropped the cached card.
    async with chromium() as (_context, page):
        await _signed_in(page, live, "account", "ticketbuyer")
        card = await page.locator("[data-fragment=member-tickets]").inner_text()
        assert card.count("(checked in)") == 1, card
