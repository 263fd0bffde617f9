"""In headless Chromium: a page on another origin shows a calendar's events through the
iframe widget and through the `<rose-ash-events>` web component."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import asyncpg
import pytest

from shared.dev.embedded import free_port
from shared.dev.schema import migrate
from tests.conftest import TEST_SECRET_KEY
from tests.sso.test_browser_sso import chromium
from tests.support.databases import DatabaseServer
from tests.support.live import LivePlatform, redis_database

pytestmark = pytest.mark.slow
LIVE_DATABASE = "rose_ash_events_widgets"


@pytest.fixture(scope="module")
def live_events(
    database_server: DatabaseServer, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LivePlatform]:
    url = database_server.create_fresh(LIVE_DATABASE)
    migrate(url)
    asyncio.run(_seed(database_server.url_for(LIVE_DATABASE)))
    platform = LivePlatform(
        url,
        redis_database(redis_url, 8),
        TEST_SECRET_KEY,
        tmp_path_factory.mktemp("events-logs"),
        extra_env={"ROSE_ASH_ENV": "dev"},
    )
    platform.start("events")
    yield platform
    platform.stop()


async def _seed(url: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
        calendar = await conn.fetchval(
            "INSERT INTO calendars (slug, name)"
            " VALUES ('allotments', 'Allotment society') RETURNING id"
        )
        await conn.execute(
            "INSERT INTO events (calendar_id, slug, title, starts_at, ends_at, status, location)"
            " VALUES ($1, 'seed-swap', 'Seed swap', $2, $3, 'published', 'Plot 7')",
            calendar,
            start,
            start + timedelta(hours=2),
        )
    finally:
        await conn.close()


def _host_page(events_url: str) -> bytes:
    return f"""<!doctype html><html><head><title>Someone else's site</title></head><body>
<h1>Our village</h1>
<iframe id="widget" title="Events" src="{events_url}/widgets/allotments/"
  width="400" height="300"></iframe>
<rose-ash-events calendar="allotments"></rose-ash-events>
<script src="{events_url}/widgets/rose-ash-events.js"></script>
</body></html>""".encode()


@pytest.fixture
def other_origin(live_events: LivePlatform) -> Iterator[str]:
    body = _host_page(live_events.public_url("events"))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}/"
    server.shutdown()
    server.server_close()


async def test_the_widget_renders_in_an_iframe_and_as_a_component_on_another_origin(
    other_origin: str,
) -> None:
    async with chromium() as (_context, page):
        await page.goto(other_origin)
        frame = page.frame_locator("#widget")
        await frame.get_by_role("link", name="Seed swap").wait_for()
        assert await frame.locator("h1").inner_text() == "Allotment society"
        component = page.locator("rose-ash-events")
        await component.get_by_role("link", name="Seed swap").wait_for()
        assert "Plot 7" in await component.locator("li").first.inner_text()
