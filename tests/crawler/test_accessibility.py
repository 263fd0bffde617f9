"""Every page the crawler reaches, as a visitor and as a signed-in member, passes axe-core
with no serious or critical violation, and fits a 320 px wide screen without scrolling
sideways. A deliberately bad page (an input without a label) proves the audit reports.

The pages come from the dead-link crawler's own crawl of the same platform
(tests/crawler/conftest.py), plus each app's not-found page; one headless Chromium opens
them all at 320 px (about 530 pages, some four minutes on a quiet two-core machine: an
earlier sample of one page per template missed what only some pages' content shows).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from shared.infrastructure.config import APP_NAMES
from tests.crawler.test_dead_links import crawl, sign_in_everywhere
from tests.sso.test_browser_sso import CHROMIUM_ARGS
from tests.support.live import LivePlatform

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
WIDTH = 320
SCROLL_TOLERANCE = 2  # px: sub-pixel rounding of borders, not a scrolling page
BLOCKING = ("serious", "critical")
AUDIT = """async () => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  const scroller = document.scrollingElement || document.documentElement;
  // What pushes the page wide: the innermost elements reaching past the viewport's edge.
  let widest = [];
  if (scroller.scrollWidth > window.innerWidth + 2) {
    const wide = new Set([...document.body.querySelectorAll('*')]
      .filter(e => e.getBoundingClientRect().right > window.innerWidth + 2));
    widest = [...wide].filter(e => ![...e.children].some(c => wide.has(c))).slice(0, 3)
      .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                + [...e.classList].map(c => '.' + c).join(''));
  }
  return {
    widest,
    violations: results.violations
      .filter(v => v.impact === 'serious' || v.impact === 'critical')
      .map(v => ({id: v.id, impact: v.impact, help: v.help,
                  targets: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
                  count: v.nodes.length})),
    scrollWidth: scroller.scrollWidth,
  };
}"""


def _axe_script() -> str:
    axe = pytest.importorskip("axe_playwright_python.base")
    return str(axe.AXE_SCRIPT)


@dataclass
class Crawled:
    visitor: list[str]
    member: list[str]
    member_cookies: list[dict[str, Any]]
    crawled: tuple[int, int]  # pages crawled as a visitor, as a member


@pytest.fixture(scope="module")
def crawled(live: LivePlatform) -> Crawled:
    origins = {live.public_url(name) for name in APP_NAMES}
    homes = [f"{live.public_url(name)}/" for name in APP_NAMES]
    with httpx.Client(timeout=20.0, follow_redirects=True, trust_env=False) as client:
        visitor = crawl(client, origins, homes).documents
        visitor.update(_error_pages(client, live))
    with httpx.Client(timeout=20.0, follow_redirects=True, trust_env=False) as client:
        sign_in_everywhere(live, client)
        member = crawl(client, origins, homes).documents
        member.update(_error_pages(client, live))
        cookies = [
            {"name": c.name, "value": c.value or "", "domain": c.domain, "path": c.path}
            for c in client.cookies.jar
        ]
    return Crawled(list(visitor), list(member), cookies, (len(visitor), len(member)))


def _error_pages(client: httpx.Client, live: LivePlatform) -> dict[str, tuple[int, str]]:
    """Each app's not-found page: no link leads there, yet a mistyped address does."""
    pages: dict[str, tuple[int, str]] = {}
    for name in APP_NAMES:
        response = client.get(f"{live.public_url(name)}/no-such-page")
        assert response.status_code == 404, f"{name}: {response.status_code}"
        pages[str(response.url)] = (response.status_code, response.text)
    return pages


@asynccontextmanager
async def narrow_browser(cookies: list[dict[str, Any]] | None = None) -> AsyncIterator[Any]:
    """One page in headless Chromium, 320 px wide, axe-core loaded into every document."""
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": WIDTH, "height": 640})
            context.set_default_timeout(20_000)
            await context.add_init_script(_axe_script())
            if cookies:
                await context.add_cookies(cookies)
            yield await context.new_page()
        finally:
            await browser.close()


async def audit(page: Any, urls: list[str]) -> list[str]:
    """The problems found, one line each naming the page, the rule and the elements."""
    problems: list[str] = []
    for url in urls:
        await page.goto(url, wait_until="load")
        found = await page.evaluate(AUDIT)
        for v in found["violations"]:
            where = ", ".join(v["targets"]) + (" …" if v["count"] > len(v["targets"]) else "")
            problems.append(f"{url}: {v['impact']} {v['id']} ({v['help']}) at {where}")
        if found["scrollWidth"] > WIDTH + SCROLL_TOLERANCE:
            widest = ", ".join(found["widest"])
            problems.append(
                f"{url}: {found['scrollWidth']} px wide at {WIDTH} px (scrolls), by {widest}"
            )
    return problems


async def test_every_page_a_visitor_reaches_is_accessible_and_fits_320px(
    crawled: Crawled,
) -> None:
    async with narrow_browser() as page:
        problems = await audit(page, crawled.visitor)
    print(f"audited {len(crawled.visitor)} of {crawled.crawled[0]} pages as a visitor")
    assert len(crawled.visitor) > len(APP_NAMES)
    assert not problems, "accessibility problems:\n" + "\n".join(problems)


async def test_every_page_a_member_reaches_is_accessible_and_fits_320px(
    crawled: Crawled,
) -> None:
    # The visitor's pages are audited above; a member's differ in header and forms.
    async with narrow_browser(crawled.member_cookies) as page:
        problems = await audit(page, crawled.member)
    print(f"audited {len(crawled.member)} of {crawled.crawled[1]} pages as a member")
    assert len(crawled.member) > len(APP_NAMES)
    assert not problems, "accessibility problems:\n" + "\n".join(problems)


BAD_PAGE = b"""<!doctype html><html lang="en"><head><title>Bad form</title></head>
<body><main><h1>Sign up</h1><form><input type="text" name="email" id="email">
<button type="submit">Send</button></form></main></body></html>"""


class _BadPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(BAD_PAGE)))
        self.end_headers()
        self.wfile.write(BAD_PAGE)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def bad_page_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BadPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/signup"
    finally:
        server.shutdown()
        server.server_close()


async def test_an_input_without_a_label_is_reported_with_its_page_and_element(
    bad_page_url: str,
) -> None:
    async with narrow_browser() as page:
        problems = await audit(page, [bad_page_url])
    assert problems == [
        f"{bad_page_url}: critical label (Form elements must have labels) at #email"
    ]
