"""No dead link: the six apps with the demo data, crawled breadth-first from every home
page, as a visitor and as a signed-in member. Any same-platform link answering 404 or
5xx fails the test, naming the page it was on.

The apps run as real Hypercorn processes on their own loopback addresses
(public URLs included), so the crawler follows links exactly as they are
printed, across apps, and signs in through the real OpenID Connect flow.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx
import pytest

from shared.infrastructure.config import APP_NAMES
from tests.support.live import LivePlatform

pytestmark = pytest.mark.slow

DATABASE = "rose_ash_crawler"
MAX_DEPTH = 6  # links followed from a home page
MAX_PAGES = 300  # pages fetched per crawl
DEMO_MEMBER, DEMO_PASSWORD = "ada", "rose-ash-demo"  # an admin: the admin pages are crawled too
# GETs that are not pages to read: signing in again would only restart the OIDC dance.
SKIPPED_PATHS = ("/auth/", "/static/", "/internal/")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def links_of(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.hrefs


@dataclass
class Crawl:
    """What a breadth-first crawl saw: pages fetched, how deep, and the dead links."""

    pages: int = 0
    depth: int = 0
    html_pages: list[str] = field(default_factory=list)  # fetched, answered 2xx/3xx with HTML
    # Each HTML page's final status and body, by its URL: the accessibility audit samples them.
    documents: dict[str, tuple[int, str]] = field(default_factory=dict)
    dead: list[str] = field(default_factory=list)
    bounded: bool = False


def crawl(client: httpx.Client, origins: set[str], starts: list[str]) -> Crawl:
    result = Crawl()
    seen = set(starts)
    queue = deque((url, 0, "(home page)") for url in starts)
    while queue:
        url, depth, found_on = queue.popleft()
        if result.pages >= MAX_PAGES:
            result.bounded = True
            break
        response = client.get(url)
        result.pages += 1
        result.depth = max(result.depth, depth)
        if response.status_code == 404 or response.status_code >= 500:
            result.dead.append(f"{url} answered {response.status_code}, linked from {found_on}")
            continue
        if depth >= MAX_DEPTH or "text/html" not in response.headers.get("content-type", ""):
            result.bounded = result.bounded or depth >= MAX_DEPTH
            if "text/html" in response.headers.get("content-type", ""):
                result.html_pages.append(str(response.url))
                result.documents[str(response.url)] = (response.status_code, response.text)
            continue
        result.html_pages.append(str(response.url))
        result.documents[str(response.url)] = (response.status_code, response.text)
        for href in links_of(response.text):
            target = urldefrag(urljoin(str(response.url), href)).url
            parts = urlsplit(target)
            origin = f"{parts.scheme}://{parts.netloc}"
            if origin not in origins or parts.path.startswith(SKIPPED_PATHS):
                continue
            if target not in seen:
                seen.add(target)
                queue.append((target, depth + 1, str(response.url)))
    return result


def _homes(live: LivePlatform) -> list[str]:
    return [f"{live.public_url(name)}/" for name in APP_NAMES]


def _origins(live: LivePlatform) -> set[str]:
    return {live.public_url(name) for name in APP_NAMES}


def _report(who: str, result: Crawl) -> None:
    # Printed so that a run shows how far the crawl went (pytest -s, or on failure).
    print(
        f"crawled as {who}: {result.pages} pages, depth {result.depth} "
        f"(bounds: depth {MAX_DEPTH}, {MAX_PAGES} pages"
        f"{'; bound reached' if result.bounded else ''})"
    )


def sign_in_everywhere(live: LivePlatform, client: httpx.Client) -> None:
    """Sign in at federation with the form, then on each app through OpenID Connect."""
    federation = live.public_url("federation")
    page = client.get(f"{federation}/signin")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    form = {"csrf_token": token, "login": DEMO_MEMBER, "password": DEMO_PASSWORD, "next": "/"}
    assert client.post(f"{federation}/signin", data=form).status_code == 200
    for name in APP_NAMES:
        home = client.get(f"{live.public_url(name)}/auth/login?next=/")
        assert home.status_code == 200, f"{name}: {home.status_code}"
        assert 'action="/auth/logout"' in home.text, f"not signed in on {name}"


def test_no_link_from_any_home_page_is_dead_for_a_visitor(live: LivePlatform) -> None:
    with httpx.Client(timeout=20.0, follow_redirects=True, trust_env=False) as client:
        result = crawl(client, _origins(live), _homes(live))
    _report("a visitor", result)
    assert not result.dead, "dead links:\n" + "\n".join(result.dead)
    assert result.pages > len(APP_NAMES)  # the crawl went past the home pages


def test_no_link_from_any_home_page_is_dead_for_a_signed_in_member(live: LivePlatform) -> None:
    with httpx.Client(timeout=20.0, follow_redirects=True, trust_env=False) as client:
        sign_in_everywhere(live, client)
        result = crawl(client, _origins(live), _homes(live))
    _report(f"member {DEMO_MEMBER}", result)
    assert not result.dead, "dead links:\n" + "\n".join(result.dead)
    assert result.pages > len(APP_NAMES)
