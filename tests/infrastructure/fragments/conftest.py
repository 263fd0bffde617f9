"""Fixtures for the fragment tests: a stand-in provider on a real socket, and a client for it.

The stand-in speaks the fragment protocol over HTTP on loopback (served by
Hypercorn in the test's own event loop): it checks the internal token,
reads the signed viewer, records every request, and can be told to answer
with an error, to hold a request until the test releases it, or to say
something else next time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from hypercorn.asyncio import serve
from hypercorn.config import Config
from redis.asyncio import Redis

from shared.contracts.widgets import FragmentViewer
from shared.dev.embedded import free_port
from shared.infrastructure.config import APP_NAMES, FragmentSettings
from shared.infrastructure.fragment_cache import FragmentCache
from shared.infrastructure.fragments import FragmentClient
from shared.infrastructure.internal import TOKEN_HEADER, VIEWER_HEADER, InternalAuth
from tests.conftest import TEST_SECRET_KEY

AUTH = InternalAuth.from_secret(TEST_SECRET_KEY)


@dataclass
class Seen:
    """One request the stand-in received."""

    type: str
    params: dict[str, str]
    viewer: FragmentViewer | None
    has_viewer_header: bool


@dataclass
class StandIn:
    """A fragment provider for every type, whose answers the test controls."""

    url: str = ""
    html: dict[str, str] = field(default_factory=dict)
    status: dict[str, int] = field(default_factory=dict)
    gates: dict[str, asyncio.Event] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    on_arrival: Callable[[StandIn], None] | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def until(self, condition: Callable[[StandIn], bool]) -> None:
        """Wait until `condition` holds (checked whenever a request arrives or leaves)."""
        while not condition(self):
            self._changed.clear()
            await self._changed.wait()

    def hold(self, type_: str) -> asyncio.Event:
        """Hold requests for `type_` until the returned event is set."""
        self.gates[type_] = asyncio.Event()
        return self.gates[type_]

    def count(self, type_: str) -> int:
        return sum(1 for seen in self.seen if seen.type == type_)

    def release_all(self) -> None:
        for gate in self.gates.values():
            gate.set()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        type_ = scope["path"].rsplit("/", 1)[-1]
        if headers.get(TOKEN_HEADER.lower()) != AUTH.token:
            await _answer(send, 403, "no token")
            return
        signed = headers.get(VIEWER_HEADER.lower())
        viewer = AUTH.read_viewer(signed) if signed else None
        params = dict(parse_qsl(scope["query_string"].decode()))
        self.seen.append(Seen(type_, params, viewer, signed is not None))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self._changed.set()
        try:
            if self.on_arrival is not None:
                self.on_arrival(self)
            if type_ in self.gates:
                await self.gates[type_].wait()
            who = f"u{viewer.user_id}" if viewer and viewer.user_id else "anon"
            body = self.html.get(type_, f'<p data-fragment="{type_}">{type_} for {who}</p>')
            await _answer(send, self.status.get(type_, 200), body)
        finally:
            self.in_flight -= 1
            self._changed.set()


async def _answer(send: Any, status: int, body: str) -> None:
    data = body.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(data)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


@pytest.fixture
async def stand_in() -> AsyncIterator[StandIn]:
    provider = StandIn()
    port = free_port()
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.errorlog = None
    config.graceful_timeout = 0.1
    stop = asyncio.Event()
    server = asyncio.ensure_future(serve(provider, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
    provider.url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as probe:
        for _ in range(100):
            with contextlib.suppress(httpx.TransportError):
                await probe.get(provider.url + "/ping")
                break
            await asyncio.sleep(0.02)
    yield provider
    provider.release_all()
    stop.set()
    await server


ClientMaker = Callable[..., Awaitable[FragmentClient]]


@pytest.fixture
async def make_client(stand_in: StandIn, redis: Redis) -> AsyncIterator[ClientMaker]:
    """A FragmentClient whose every app is the stand-in (or `urls`), with settings to taste."""
    made: list[FragmentClient] = []

    async def make(
        *, urls: dict[str, str] | None = None, cache_redis: Redis | None = None, **settings: Any
    ) -> FragmentClient:
        config = FragmentSettings(**{"timeout": 2.0, "page_budget": 3.0, **settings})
        client = FragmentClient(
            settings=config,
            internal_urls=urls or {name: stand_in.url for name in APP_NAMES},
            auth=AUTH,
            cache=FragmentCache(
                cache_redis or redis,
                keep_stale=config.keep_stale,
                timeout=config.cache_timeout,
                cooldown=config.cooldown,
            ),
            http=httpx.AsyncClient(timeout=config.timeout, trust_env=False),
        )
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()
