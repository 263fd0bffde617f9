"""Every kind of page the crawler reaches, as a visitor and as a signed-in member, passes
axe-core with no serious or critical violation, and fits a 320 px wide screen without
scrolling sideways. A deliberately bad page (an input without a label) proves the audit
reports.

The pages come from the dead-link crawler's own crawl of the same platform
(tests/crawler/conftest.py). Auditing all ~500 took four minutes, so one page of each kind
is opened (pages whose <main> has the same elements two levels deep are one kind: the same
template), plus every error page; one headless Chromium opens them at 320 px.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
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


VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
KIND_DEPTH = 2  # levels of <main> that tell one template from another


class _MainShape(HTMLParser):
    """The tag names and classes of <main>'s first two levels, each distinct one once."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = -1  # levels inside <main>; -1 outside it
        self.shape: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth < 0:
            if tag == "main":
                self.depth = 0
            return
        if self.depth < KIND_DEPTH:
            classes = " ".join(sorted((dict(attrs).get("class") or "").split()))
            part = f"{self.depth}:{tag}.{classes}"
            if part not in self.shape:  # a list of ten cards is the same kind as one of two
                self.shape.append(part)
        if tag not in VOID:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth < 0 or tag in VOID:
            return
        self.depth -= 1
        if self.depth < 0 and tag != "main":
            self.depth = -2  # unbalanced markup: stop rather than misread the rest

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.depth >= 0:
            self.depth -= 1


def page_kind(url: str, html: str) -> str:
    parser = _MainShape()
    parser.feed(html)
    host = url.split("/")[2]  # each app has its own header and layout
    return host + " " + " ".join(parser.shape)


def sample(documents: dict[str, tuple[int, str]]) -> list[str]:
    """One page of each kind, and every page that answered with an error."""
    kinds: dict[str, str] = {}
    errors: list[str] = []
    for url, (status, html) in documents.items():
        if status >= 400:
            errors.append(url)
        else:
            kinds.setdefault(page_kind(url, html), url)
    return list(kinds.values()) + errors


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
    return Crawled(sample(visitor), sample(member), cookies, (len(visitor), len(member)))


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


async def test_every_kind_of_page_a_visitor_reaches_is_accessible_and_fits_320px(
    crawled: Crawled,
) -> None:
    async with narrow_browser() as page:
        problems = await audit(page, crawled.visitor)
    print(f"audited {len(crawled.visitor)} of {crawled.crawled[0]} pages as a visitor")
    assert len(crawled.visitor) > len(APP_NAMES)
    assert not problems, "accessibility problems:\n" + "\n".join(problems)


async def test_every_kind_of_page_a_member_reaches_is_accessible_and_fits_320px(
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


def test_pages_of_one_template_are_one_kind_and_error_pages_are_all_kept() -> None:
    def listing(cards: int) -> str:
        items = "".join(f'<li><article class="card">Post {n}</article></li>' for n in range(cards))
        return (
            f'<html><body><main><h1>Posts</h1><ul class="cards">{items}</ul></main></body></html>'
        )

    form = '<main><h1>Sign in</h1><form class="card"><input name="a"><br></form></main>'
    documents = {
        "http://blog.test/": (200, listing(10)),
        "http://blog.test/tag/bees/": (200, listing(2)),
        "http://blog.test/signin": (200, form),
        "http://cart.test/": (200, listing(3)),  # another app: another header, another kind
        "http://blog.test/gone": (404, listing(0)),
        "http://blog.test/forbidden": (403, listing(0)),
    }
    assert sample(documents) == [
        "http://blog.test/",
        "http://blog.test/signin",
        "http://cart.test/",
        "http://blog.test/gone",
        "http://blog.test/forbidden",
    ]
