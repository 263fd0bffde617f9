"""A back-channel logout an app did not acknowledge becomes a retried job."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.dev.embedded import free_port
from shared.infrastructure.activitypub.http import FederationClient
from shared.infrastructure.config import Settings
from shared.infrastructure.jobs.context import JobContext
from shared.infrastructure.oidc.logout_jobs import (
    KIND,
    LogoutNotAcknowledged,
    deliver_backchannel_logout,
    retry_unacknowledged,
)
from shared.infrastructure.oidc.records import ClientRecord
from shared.models.jobs import Job


def client(client_id: str, url: str | None) -> ClientRecord:
    return ClientRecord(
        id=0,
        client_id=client_id,
        name=client_id,
        secret_hash=None,
        redirect_uris=(),
        post_logout_redirect_uris=(),
        backchannel_logout_uri=url,
        scope="openid",
        is_first_party=True,
    )


async def test_each_unacknowledged_app_gets_one_job_in_the_sign_out_transaction(
    db: AsyncSession,
) -> None:
    clients = [
        client("blog", "http://127.0.0.1:1/auth/backchannel-logout"),
        client("cart", "http://127.0.0.1:2/auth/backchannel-logout"),
        client("elsewhere", None),
    ]
    acknowledged = {"blog": True, "cart": False}

    assert await retry_unacknowledged(db, "sid-1", clients, acknowledged) == ["cart"]
    await retry_unacknowledged(db, "sid-1", clients, acknowledged)  # signed out twice

    jobs = (await db.scalars(select(Job).where(Job.kind == KIND))).all()
    assert [job.payload for job in jobs] == [
        {"sid": "sid-1", "client_id": "cart", "url": "http://127.0.0.1:2/auth/backchannel-logout"}
    ]
    assert await db.scalar(select(func.count(Job.id)).where(Job.kind == KIND)) == 1


@pytest.fixture
async def job_context(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[JobContext]:
    federation = FederationClient(settings.activitypub)
    yield JobContext(settings, sessions, federation, "in-process")
    await federation.aclose()


async def serve_logouts(port: int, received: list[str]) -> Callable[[], object]:
    async def post_logout(request: web.Request) -> web.Response:
        received.append((await request.post())["logout_token"])  # type: ignore[arg-type]
        return web.Response(text="")

    app = web.Application()
    app.router.add_post("/auth/backchannel-logout", post_logout)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner.cleanup


def claims_of(token: str) -> dict[str, object]:
    body = token.split(".")[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return decoded


async def test_the_job_fails_while_the_app_is_down_and_delivers_once_it_is_back(
    job_context: JobContext,
) -> None:
    port = free_port()
    payload = {
        "sid": "sid-2",
        "client_id": "cart",
        "url": f"http://127.0.0.1:{port}/auth/backchannel-logout",
    }
    with pytest.raises(LogoutNotAcknowledged, match="cart"):
        await deliver_backchannel_logout(job_context, payload)  # the app is down: retried

    received: list[str] = []
    stop = await serve_logouts(port, received)
    try:
        await deliver_backchannel_logout(job_context, payload)
    finally:
        await stop()  # type: ignore[misc]
    [token] = received
    claims = claims_of(token)
    assert claims["sid"] == "sid-2" and claims["aud"] == "cart"
    assert "http://schemas.openid.net/event/backchannel-logout" in claims["events"]  # type: ignore[operator]
