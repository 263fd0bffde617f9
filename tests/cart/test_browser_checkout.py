"""Acceptance, in headless Chromium against the six real apps, the jobs worker, the SumUp
stand-in and the SMTP stand-in: a guest buys from two stalls and pays; each stall owner
sees their line; staff refund one line and the order shows partially refunded."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from shared.dev.smtp import SmtpStandIn
from shared.dev.sumup import SumUpStandIn
from tests.conftest import TEST_SECRET_KEY
from tests.sso.conftest import csrf_of, sign_up
from tests.sso.test_browser_sso import SIGN_IN, chromium, fill_sign_in_form
from tests.support.databases import DatabaseServer
from tests.support.live import LivePlatform, redis_database, running_platform, smtp_env, sumup_env

pytestmark = pytest.mark.slow
DATABASE = "rose_ash_cart_browser"


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
        redis_database(redis_url, 6),
        TEST_SECRET_KEY,
        tmp_path_factory.mktemp("cart-logs"),
        {**smtp_env(mail), **sumup_env(payments)},
        setup=lambda p: p.extra_env.update(SUMUP_WEBHOOK_BASE_URL=p.internal_url("cart")),
    ) as platform:
        yield platform


async def _two_stalls(database_url: str, owners: dict[str, str]) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        for username, (stall, title, price, stock) in zip(
            owners.values(),
            (("Hill Bakery", "Seeded loaf", 450, 8), ("Hartley Ceramics", "Blue mug", 1800, 2)),
            strict=True,
        ):
            owner = await conn.fetchval("SELECT id FROM users WHERE username = $1", username)
            stall_id = await conn.fetchval(
                "INSERT INTO stalls (slug, name, owner_id, status) "
                "VALUES ($1, $2, $3, 'approved') RETURNING id",
                stall.lower().replace(" ", "-"),
                stall,
                owner,
            )
            product = await conn.fetchval(
                "INSERT INTO products (stall_id, slug, title, price_minor, currency, status) "
                "VALUES ($1, $2, $3, $4, 'GBP', 'listed') RETURNING id",
                stall_id,
                title.lower().replace(" ", "-"),
                title,
                price,
            )
            await conn.execute(
                "INSERT INTO product_variants (product_id, name, price_minor, stock) "
                "VALUES ($1, 'Standard', $2, $3)",
                product,
                price,
                stock,
            )
    finally:
        await conn.close()


async def _sign_in(page: Any, live: LivePlatform, username: str, path: str) -> None:
    await page.goto(live.public_url("cart") + "/")
    await page.locator(SIGN_IN).click()
    await fill_sign_in_form(page, username)
    await page.wait_for_url(live.public_url("cart") + "/")
    await page.goto(live.public_url("cart") + path)


async def test_a_guest_buys_from_two_stalls_and_staff_refund_one_line(
    live: LivePlatform, mail: SmtpStandIn, payments: SumUpStandIn
) -> None:
    owners = {"bakery": "bakerowner", "potter": "potterowner"}
    for username in (*owners.values(), "staffmember"):
        sign_up(live, username).browser.close()
    await _two_stalls(live.database_url, owners)
    conn = await asyncpg.connect(live.database_url)
    await conn.execute("UPDATE users SET is_admin = true WHERE username = 'staffmember'")
    await conn.close()

    async with chromium() as (_context, page):
        for title in ("Seeded loaf", "Blue mug"):
            await page.goto(live.public_url("market") + "/")
            card = page.locator("article", has_text=title)
            await card.get_by_role("button", name="Add to cart").click()
            await page.get_by_role("button", name="Add to cart", exact=True).click()
        await page.goto(live.public_url("cart") + "/")
        assert await page.get_by_role("heading", name="Hill Bakery").count() == 1
        assert await page.get_by_role("heading", name="Hartley Ceramics").count() == 1

        await page.get_by_role("button", name="Check out").click()
        await page.fill("input[name=email]", "guest@example.test")
        await page.fill("input[name=name]", "Grace Hopper")
        potter = page.locator("fieldset", has_text="Hartley Ceramics")
        await potter.get_by_label("Delivery", exact=True).check()
        await potter.get_by_label("Delivery address").fill("2 Mill Street, York")
        await page.get_by_role("button", name="Review order").click()
        await page.get_by_role("button", name="Pay £22.50").click()

        await page.wait_for_url(re.compile(re.escape(payments.url) + "/pay/.*"))
        assert await page.locator("[data-amount]").inner_text() == "22.50 GBP"
        await page.get_by_role("button", name="Pay", exact=True).click()
        await page.wait_for_url(re.compile(r".*/orders/[A-Z0-9-]+\?t=.*"))
        assert await page.get_by_text("your payment is confirmed").count() == 1
        number = (await page.locator("h1").inner_text()).removeprefix("Order ").strip()

    confirmation = mail.wait_for(to="guest@example.test", subject="payment confirmed", timeout=60)
    assert number in confirmation.subject and "Blue mug" in confirmation.text

    for username, line in (("bakerowner", "Seeded loaf"), ("potterowner", "Blue mug")):
        async with chromium() as (_context, page):
            await _sign_in(page, live, username, "/stall-orders")
            work = page.locator(f"[data-order='{number}']")
            assert await work.get_by_text(line).count() == 1
            other = "Blue mug" if line == "Seeded loaf" else "Seeded loaf"
            assert await work.get_by_text(other).count() == 0

    async with chromium() as (_context, page):
        await _sign_in(page, live, "staffmember", "/admin/orders")
        await page.get_by_role("link", name=number).click()
        await page.get_by_role("button", name="Refund Blue mug").click()
        await page.wait_for_url(re.compile(f".*/admin/orders/{number}$"))
        assert await page.locator("[data-order-status]").inner_text() == "partially refunded"
    refund = mail.wait_for(to="guest@example.test", subject="refund", timeout=60)
    assert "£18.00" in refund.text
    # The return and SumUp's webhook both came: one paid transition, one confirmation.
    confirmations = [m for m in mail.received if "payment confirmed" in m.subject]
    assert len(confirmations) == 1
    assert any(status == 204 for _, status in payments.webhook_calls)


async def test_ten_webhooks_and_the_return_over_http_pay_once_and_mail_once(
    live: LivePlatform, mail: SmtpStandIn, payments: SumUpStandIn
) -> None:
    sign_up(live, "racerowner").browser.close()
    conn = await asyncpg.connect(live.database_url)
    try:
        stall = await conn.fetchval(
            "INSERT INTO stalls (slug, name, owner_id) SELECT 'race-stall', 'Race Stall', id "
            "FROM users WHERE username = 'racerowner' RETURNING id"
        )
        product = await conn.fetchval(
            "INSERT INTO products (stall_id, slug, title, price_minor, status) "
            "VALUES ($1, 'race-mug', 'Race mug', 1800, 'listed') RETURNING id",
            stall,
        )
        await conn.execute(
            "INSERT INTO product_variants (product_id, name, price_minor, stock) "
            "VALUES ($1, 'Standard', 1800, 1)",
            product,
        )
    finally:
        await conn.close()
    cart = live.internal_url("cart")
    market = live.public_url("market")
    async with httpx.AsyncClient(base_url=cart, timeout=30) as client:
        added = await client.post(
            "/lines",
            data={"product_id": str(product), "quantity": "1"},
            headers={"Origin": market, "Sec-Fetch-Site": "same-site"},
        )
        assert added.status_code == 303
        form = await client.get("/checkout")
        stall = re.search(r'name="method_(\d+)"', form.text)
        assert stall is not None
        placed = await client.post(
            "/checkout",
            data={
                "csrf_token": csrf_of(form.text),
                "email": "racer@example.test",
                "name": "Racer",
                f"method_{stall.group(1)}": "pickup",
            },
        )
        assert placed.status_code == 303, placed.text
        order_page = placed.headers["Location"]
        number, token = order_page.split("/")[2].split("?t=")
        page = await client.get(order_page)
        paying = await client.post(
            f"/orders/{number}/pay",
            data={"csrf_token": csrf_of(page.text), "t": token, "amount_minor": "1800"},
        )
        hosted = re.search(r'href="([^"]+)" role="button" data-hosted-checkout', paying.text)
        assert hosted is not None
        checkout_id = hosted.group(1).rsplit("/", 1)[1]
        payments.complete(checkout_id, pay=True)  # its own webhook goes out too
        body = {"event_type": "CHECKOUT_STATUS_CHANGED", "id": checkout_id}
        answers = await asyncio.gather(
            *(client.post("/payments/sumup/webhook", json=body) for _ in range(10)),
            client.get(f"/orders/{number}/return?t={token}"),
        )
    assert [a.status_code for a in answers] == [204] * 10 + [303]
    mail.wait_for(to="racer@example.test", subject="payment confirmed", timeout=60)
    await asyncio.sleep(3)  # time for a second mail, were there a second transition
    confirmations = [
        m
        for m in mail.received
        if "racer@example.test" in m.recipients and "confirmed" in m.subject
    ]
    assert len(confirmations) == 1
