"""The market with a mouse, in headless Chromium, on the live platform: member ben
applies for a stall, admin ada approves it, ben adds a product in two variants with a
photo, and a visitor finds it by search, picks the larger size and puts it in the
cart, whose mini-cart then shows it."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from tests.infrastructure.media.samples import image_bytes
from tests.sso.conftest import live_sso, sign_up, smtp  # noqa: F401  (the live platform)
from tests.sso.test_browser_sso import SIGN_IN, chromium, fill_sign_in_form
from tests.support.live import LivePlatform

pytestmark = pytest.mark.slow


async def _make_admin(database_url: str, username: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("UPDATE users SET is_admin = true WHERE username = $1", username)
    finally:
        await conn.close()


async def _sign_in(page: object, live: LivePlatform, username: str) -> None:
    await page.goto(live.public_url("market") + "/")  # type: ignore[attr-defined]
    await page.locator(SIGN_IN).click()  # type: ignore[attr-defined]
    await fill_sign_in_form(page, username)
    await page.wait_for_url(live.public_url("market") + "/")  # type: ignore[attr-defined]


async def test_ben_opens_a_stall_ada_approves_and_a_visitor_buys_from_it(
    live_sso: LivePlatform,  # noqa: F811
    tmp_path: Path,
) -> None:
    for username in ("benstall", "adaadmin"):
        sign_up(live_sso, username).browser.close()
    await _make_admin(live_sso.database_url, "adaadmin")
    photo = tmp_path / "jar.jpg"
    photo.write_bytes(image_bytes(900, 700))
    market = live_sso.public_url("market")

    async with chromium() as (_ctx, ben):
        await _sign_in(ben, live_sso, "benstall")
        await ben.get_by_role("link", name="Open a stall").click()
        await ben.get_by_label("Stall name").fill("Fen Honey Co")
        await ben.get_by_label("Your story").fill("Hives on the fen since 1998.")
        await ben.get_by_label("Pickup details").fill("Saturdays at the hall.")
        await ben.get_by_role("button", name="Apply").click()
        await ben.wait_for_url(market + "/stalls/fen-honey-co/manage/")
        assert await ben.get_by_text("pending").count() >= 1

        async with chromium() as (_ctx2, ada):
            await _sign_in(ada, live_sso, "adaadmin")
            await ada.get_by_role("link", name="Stall applications").click()
            await ada.get_by_role("button", name="Approve Fen Honey Co").click()
            await ada.wait_for_url(market + "/admin/stalls/")
            assert await ada.get_by_text("No applications waiting").count() == 1

        await ben.goto(market + "/stalls/fen-honey-co/manage/")
        await ben.get_by_role("button", name="Add a product").click()
        await ben.get_by_label("Title", exact=True).fill("Fen blossom honey")
        await ben.fill('input[name="variant-0-name"]', "340 g")
        await ben.fill('input[name="variant-0-price"]', "7.50")
        await ben.fill('input[name="variant-0-measure_quantity"]', "340")
        await ben.select_option('select[name="variant-0-measure_unit"]', "g")
        await ben.fill('input[name="variant-1-name"]', "1 kg")
        await ben.fill('input[name="variant-1-price"]', "19.00")
        await ben.fill('input[name="variant-1-measure_quantity"]', "1000")
        await ben.select_option('select[name="variant-1-measure_unit"]', "g")
        await ben.set_input_files('input[name="image"]', str(photo))
        await ben.get_by_label("What the photo shows").fill("A jar of pale honey")
        await ben.get_by_label("List it now").check()
        await ben.get_by_role("button", name="Save").click()
        await ben.wait_for_url("**/manage/products/*/")
        assert "listed" in await ben.locator("main").inner_text()

    async with chromium() as (_ctx3, visitor):
        await visitor.goto(market + "/")
        await visitor.get_by_label("Search the market").fill("blossom")
        await visitor.locator("form.market-search").get_by_role("button", name="Search").click()
        await visitor.get_by_role("link", name="Fen blossom honey", exact=True).click()
        await visitor.wait_for_url(market + "/stalls/fen-honey-co/fen-blossom-honey/")
        assert await visitor.get_by_text("£22.06 per kg").count() == 1  # 750 / 340 g
        assert await visitor.locator("img[alt='Fen blossom honey']").count() >= 1
        await visitor.get_by_label("1 kg").check()
        await visitor.get_by_role("button", name="Add to cart").click()
        # Dev hosts are cross-site: the cart asks once more on its own page.
        await visitor.get_by_role("button", name="Add to cart", exact=True).click()
        await visitor.wait_for_url(market + "/stalls/fen-honey-co/fen-blossom-honey/")
        await visitor.goto(live_sso.public_url("cart") + "/")
        mini_cart = visitor.locator("header .cart-link")
        assert await mini_cart.locator(".cart-link__count").inner_text() == "1"
        assert "£19.00" in await mini_cart.inner_text()
        assert await visitor.get_by_text("Fen blossom honey").count() >= 1
