"""An inbox under abuse, against the real app process (Hypercorn): keyIds pointing at a
server that accepts connections and never answers must not take the app's database
pool or its other pages with them; bodies too large are refused while they stream."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from shared.infrastructure.activitypub.keys import KeyPair, generate_keypair
from shared.infrastructure.activitypub.signatures import sign_request
from tests.support.activitypub.live import Workers, settings_for
from tests.support.live import LivePlatform

pytestmark = pytest.mark.slow
SILENT_HOST = "127.0.0.23"
FLOOD = 20


@pytest.fixture
async def silent_server() -> AsyncIterator[str]:
    """A real socket on loopback that accepts every connection and stays silent."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # never read, never answer, never close

    server = await asyncio.start_server(accept, SILENT_HOST, 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://{SILENT_HOST}:{port}"
    for writer in held:
        writer.close()
    server.close()


def signed_like(inbox: str, actor: str, key: KeyPair) -> tuple[bytes, dict[str, str]]:
    activity = {"id": f"{actor}/likes/1", "type": "Like", "actor": actor, "object": inbox}
    body = json.dumps(activity).encode()
    headers = sign_request(
        "POST", inbox, key_id=f"{actor}#main-key", private_key=key.private_key, body=body
    )
    return body, headers


async def timed_get(client: httpx.AsyncClient, url: str) -> float:
    started = time.monotonic()
    response = await client.get(url, headers={"Accept": "application/activity+json"})
    assert response.status_code == 200, response.text
    return time.monotonic() - started


async def open_transactions(database_url: str) -> int:
    """Connections of the live database holding a transaction open while idle."""
    connection = await asyncpg.connect(database_url)
    try:
        return int(
            await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND state = 'idle in transaction'"
            )
        )
    finally:
        await connection.close()


async def test_silent_key_servers_leave_the_pool_and_other_pages_free(
    platform: tuple[LivePlatform, Workers], silent_server: str
) -> None:
    live, _ = platform
    settings = settings_for(live.env())
    inbox = f"{live.public_url('blog')}/inbox"
    page = f"{live.public_url('blog')}/actor"
    key = generate_keypair()
    async with httpx.AsyncClient(timeout=60) as client:
        await timed_get(client, page)  # the first makes the actor's row
        normal = max([await timed_get(client, page) for _ in range(3)])

        async def post(i: int) -> tuple[int, float]:
            body, headers = signed_like(inbox, f"{silent_server}/users/u{i}", key)
            started = time.monotonic()
            response = await client.post(inbox, content=body, headers=headers)
            return response.status_code, time.monotonic() - started

        flood = [asyncio.create_task(post(i)) for i in range(FLOOD)]
        await asyncio.sleep(1.0)  # every request is now waiting on the silent server
        during = [await timed_get(client, page) for _ in range(5)]
        idle_in_transaction = await open_transactions(settings.database.plain_url)
        answers = await asyncio.gather(*flood)
        # The host is remembered as failing: the next keyId there is refused at once.
        body, headers = signed_like(inbox, f"{silent_server}/users/late", key)
        started = time.monotonic()
        late = await client.post(inbox, content=body, headers=headers)
        late_seconds = time.monotonic() - started
    # Generous for a loaded machine; holding the pool made these wait 15 s and more.
    assert max(during) < max(3.0, normal * 5), (normal, during)
    assert idle_in_transaction == 0
    # Refused (401) when the deadline passed, or told to come back (503) when every
    # key-fetch slot was taken; never a 500, and never longer than the deadline.
    assert {status for status, _ in answers} <= {401, 503}, answers
    assert max(seconds for _, seconds in answers) < 15, answers
    assert late.status_code == 401 and "failed recently" in late.json()["error"]
    assert late_seconds < 3.0


async def test_a_body_too_large_is_refused_while_it_streams(
    platform: tuple[LivePlatform, Workers],
) -> None:
    # Chunked, so there is no Content-Length to refuse it by: the answer must come
    # while the body is still arriving, not after 2 MB were read into memory.
    live, _ = platform
    host, port = live.host("blog"), live.ports["blog"]
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        b"POST /inbox HTTP/1.1\r\n"
        + f"Host: {host}:{port}\r\n".encode()
        + b"Content-Type: application/activity+json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk, sent, answer = b" " * 65536, 0, b""
    try:
        while sent < 2 * 1024 * 1024 and not answer:
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()
            sent += len(chunk)
            with contextlib.suppress(TimeoutError):
                answer = await asyncio.wait_for(reader.read(200), 0.05)
        if not answer:
            writer.write(b"0\r\n\r\n")
            answer = await asyncio.wait_for(reader.read(200), 10)
    except ConnectionError:
        pass  # closed on us after answering: what it answered is in `answer`
    finally:
        writer.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer
    assert sent < 1024 * 1024, f"answered only after {sent} bytes"
