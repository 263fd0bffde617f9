"""The signed-in header holds at every width: in headless Chromium at 320, 390, 1280 and
1600 px, with a long menu and a long member name, no header item leaves the viewport or
overlaps another (bounding boxes), and on narrow screens the menu opens without script.

Screenshots (header-<width>.png, and header-<width>-menu.png with the menu
opened) go to $ROSE_ASH_SCREENSHOTS, else to the platform's log folder.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from redis.asyncio import Redis

from tests.sso.conftest import sign_up
from tests.sso.test_browser_sso import SIGN_IN, chromium, fill_sign_in_form
from tests.support.live import LivePlatform

pytestmark = pytest.mark.slow

WIDTHS = (320, 390, 1280, 1600)
# Six links of the longest label the navigation admin accepts (32 characters).
LONG_LABELS = [
    f"{word} and all of its neighbours"[:32]
    for word in (
        "Allotments",
        "Cooperative",
        "Repair café",
        "Newsletters",
        "Volunteering",
        "Membership",
    )
]
HEADER_ITEMS = (
    ".brand",
    ".site-menu-button",
    "nav.app-switcher a",
    ".user-area summary",
    ".user-area [role=button]",
    ".user-area button",
    ".cart-link",
)
MEASURE = """(selectors) => {
  const items = [];
  for (const selector of selectors) {
    for (const el of document.querySelectorAll('.site-header ' + selector)) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) continue;  // not shown at this width
      items.push({name: selector + ' "' + el.textContent.trim().slice(0, 24) + '"',
                  left: box.left, right: box.right, top: box.top, bottom: box.bottom});
    }
  }
  const root = document.documentElement;
  return {items, width: root.clientWidth, scrollWidth: root.scrollWidth};
}"""


async def _long_menu(live: LivePlatform) -> None:
    conn = await asyncpg.connect(live.database_url)
    try:
        await conn.execute("DELETE FROM navigation_items WHERE menu = 'primary'")
        for position, label in enumerate(LONG_LABELS):
            await conn.execute(
                "INSERT INTO navigation_items (menu, label, url, position) "
                "VALUES ('primary', $1, $2, $3)",
                label,
                f"/{position}/",
                position,
            )
    finally:
        await conn.close()
    redis = Redis.from_url(live.redis_url)
    try:
        await redis.incr("frag:v1:gen:blog:nav:all")  # what the admin's save does
    finally:
        await redis.aclose()


def _screenshot_dir(live: LivePlatform) -> Path:
    shots = Path(os.environ.get("ROSE_ASH_SCREENSHOTS") or live.log_dir)
    shots.mkdir(parents=True, exist_ok=True)
    return shots


def _problems(measured: dict[str, Any]) -> list[str]:
    width, items = measured["width"], measured["items"]
    problems = [
        f"{item['name']} leaves the viewport: {item['left']:.0f}..{item['right']:.0f} of {width}"
        for item in items
        if item["left"] < -0.5 or item["right"] > width + 0.5
    ]
    for a, b in itertools.combinations(items, 2):
        across = min(a["right"], b["right"]) - max(a["left"], b["left"])
        down = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
        if across > 1 and down > 1:
            problems.append(f"{a['name']} overlaps {b['name']}")
    if measured["scrollWidth"] > width:
        problems.append(f"the page scrolls sideways ({measured['scrollWidth']} > {width})")
    return problems


async def test_the_signed_in_header_holds_at_every_width(live_sso: LivePlatform) -> None:
    await _long_menu(live_sso)
    member = sign_up(live_sso, "a_member_with_a_long_name_3")
    member.browser.close()
    async with chromium() as (_context, page):
        await page.goto(live_sso.public_url("federation") + "/")
        await page.locator(SIGN_IN).click()
        await fill_sign_in_form(page, member.username)
        await page.wait_for_url(live_sso.public_url("federation") + "/")
        await page.goto(live_sso.public_url("blog") + "/")  # signed in here without a click
        assert await page.locator(".user-area__name").count() >= 1
        assert await page.get_by_text(LONG_LABELS[0]).count() >= 1

        shots = _screenshot_dir(live_sso)
        problems: dict[str, list[str]] = {}
        for width in WIDTHS:
            await page.set_viewport_size({"width": width, "height": 720})
            await page.screenshot(path=str(shots / f"header-{width}.png"))
            measured = await page.evaluate(MEASURE, list(HEADER_ITEMS))
            problems[f"{width}px"] = _problems(measured)
            button = page.locator(".site-menu-button")
            assert await button.is_visible() == (width < 1024), f"the menu button at {width}px"
            if await button.is_visible():
                await button.click()  # the menu opens below, nothing else moves onto it
                assert await page.get_by_text(LONG_LABELS[-1]).first.is_visible()
                await page.screenshot(path=str(shots / f"header-{width}-menu.png"))
                opened = await page.evaluate(MEASURE, list(HEADER_ITEMS))
                problems[f"{width}px, menu open"] = _problems(opened)
                await button.click()
            else:  # wide screens: every link of the menu is in the header row
                links = page.locator("nav.app-switcher a")
                assert all([await links.nth(i).is_visible() for i in range(await links.count())])
    print(f"header screenshots in {shots}")
    assert {where: found for where, found in problems.items() if found} == {}
