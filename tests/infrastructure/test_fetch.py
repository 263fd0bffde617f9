"""The safe fetcher: only http(s), no internal addresses unless allow-listed, every
redirect re-checked, size, time and redirect limits. Real sockets on loopback."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from shared.infrastructure.fetch import BlockedAddressError, FetchError, SafeFetcher

LOOPBACK = (ipaddress.ip_network("127.0.0.1/32"),)


@pytest.fixture
async def site() -> AsyncIterator[str]:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<h1>hello</h1>", content_type="text/html")

    async def big(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(64):
            await response.write(b"x" * 65_536)
        return response

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(text="late")

    async def hop(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["to"])

    async def missing(request: web.Request) -> web.Response:
        raise web.HTTPNotFound()

    app = web.Application()
    app.add_routes(
        [
            web.get("/page", page),
            web.get("/big", big),
            web.get("/slow", slow),
            web.get("/hop", hop),
            web.get("/missing", missing),
        ]
    )
    runner = web.AppRunner(app)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def fetch(url: str, **limits: float) -> str:
    fetcher = SafeFetcher(LOOPBACK, **limits)  # type: ignore[arg-type]
    try:
        return (await fetcher.get(url)).text()
    finally:
        await fetcher.aclose()


async def test_an_allow_listed_page_is_fetched(site: str) -> None:
    assert await fetch(f"{site}/page") == "<h1>hello</h1>"


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/", "http://10.0.0.1/", "http://[::1]/", "http://169.254.169.254/latest"],
)
async def test_internal_addresses_are_refused_without_an_allow_list(url: str) -> None:
    fetcher = SafeFetcher()
    with pytest.raises(BlockedAddressError):
        await fetcher.get(url)
    await fetcher.aclose()


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "gopher://x/"])
async def test_only_http_and_https_are_fetched(url: str) -> None:
    with pytest.raises(BlockedAddressError):
        await fetch(url)


async def test_a_name_that_resolves_to_loopback_is_refused() -> None:
    fetcher = SafeFetcher()  # "localhost" resolves to 127.0.0.1 / ::1
    with pytest.raises(BlockedAddressError):
        await fetcher.get("http://localhost:9/")
    await fetcher.aclose()


async def test_each_redirect_is_checked_again(site: str) -> None:
    with pytest.raises(BlockedAddressError):
        await fetch(f"{site}/hop?to=http://10.0.0.1/")
    with pytest.raises(BlockedAddressError):
        await fetch(f"{site}/hop?to=file:///etc/passwd")
    assert await fetch(f"{site}/hop?to=/page") == "<h1>hello</h1>"


async def test_too_many_redirects_size_time_and_errors_are_limits(site: str) -> None:
    loop = f"{site}/hop?to=/hop%3Fto%3D/hop%253Fto%253D/page"
    with pytest.raises(FetchError, match="redirects"):
        await fetch(loop, max_redirects=1)
    with pytest.raises(FetchError, match="larger than"):
        await fetch(f"{site}/big", max_bytes=100_000)
    with pytest.raises(FetchError, match="no answer within"):
        await fetch(f"{site}/slow", timeout_seconds=0.5)
    with pytest.raises(FetchError, match="404"):
        await fetch(f"{site}/missing")
