"""The EventProcessor as real processes against three stand-in inboxes on their own hosts:
exactly once with two workers, retries on 5xx, no retry on 400, nothing lost on SIGTERM."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from shared.dev.schema import migrate
from shared.infrastructure.activitypub.actors import app_actor
from shared.infrastructure.activitypub.keys import KeyPair
from shared.infrastructure.config import APP_NAMES, Settings
from shared.models.activitypub import Delivery, Follow
from shared.services.registry import wire_services
from tests.conftest import TEST_SECRET_KEY
from tests.support.activitypub.live import (
    Workers,
    app_urls,
    committed,
    remote_actor,
    settings_for,
    worker_env,
)
from tests.support.activitypub.standin import StandInServer, eventually
from tests.support.databases import DatabaseServer
from tests.support.factories import make_post

pytestmark = pytest.mark.slow
DATABASE = "rose_ash_ap_worker"


@pytest.fixture(scope="module")
def worker_database(database_server: DatabaseServer) -> Iterator[str]:
    url = database_server.create_fresh(DATABASE)
    migrate(url)
    yield url
    database_server.drop(DATABASE)


@pytest.fixture
def env(
    worker_database: str, redis_url: str, database_server: DatabaseServer, platform_key: KeyPair
) -> dict[str, str]:
    database_server.truncate_all(DATABASE)
    urls = {name: f"http://127.0.0.1:{9100 + i}" for i, name in enumerate(APP_NAMES)}
    return worker_env(
        {
            "DATABASE_URL": worker_database,
            "REDIS_URL": redis_url,
            "SECRET_KEY": TEST_SECRET_KEY,
            "ROSE_ASH_ENV": "test",
            "AP_PRIVATE_KEY": platform_key.private_pem,
            **app_urls(urls),
        }
    )


@pytest.fixture
def workers(env: dict[str, str], tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(env, tmp_path)
    yield pool
    pool.stop_all()


@pytest.fixture
async def inboxes() -> AsyncIterator[list[StandInServer]]:
    servers = [await StandInServer(f"127.0.0.{31 + i}", verify=False).start() for i in range(3)]
    yield servers
    for server in servers:
        await server.stop()


async def follow_and_publish(
    settings: Settings, servers: list[StandInServer], per_server: int, key: KeyPair
) -> None:
    """`per_server` followers of the blog on each server, then a post published."""
    async with committed(settings) as session:
        blog = await app_actor(session, settings, "blog")
        for server in servers:
            for n in range(per_server):
                ap_id = f"{server.base_url}/users/f{n}"
                shared = f"{server.base_url}/inbox" if server.shared_inbox else None
                follower = remote_actor(ap_id, f"{ap_id}/inbox", shared, key.public_pem)
                session.add(follower)
                await session.flush()
                session.add(
                    Follow(follower_id=follower.id, following_id=blog.id, status="accepted")
                )
        post = await make_post(session, "Hello fediverse", status="draft")
        await wire_services(settings).blog.publish_post(session, post.id)


async def delivery_states(settings: Settings) -> dict[str, int]:
    async with committed(settings) as session:
        rows = await session.execute(
            select(Delivery.status, func.count()).group_by(Delivery.status)
        )
        return {status: count for status, count in rows}


async def test_a_published_post_reaches_each_inbox_exactly_once_with_two_workers(
    env: dict[str, str], workers: Workers, inboxes: list[StandInServer], peer_key: KeyPair
) -> None:
    settings = settings_for(env)
    workers.start(2)
    await follow_and_publish(settings, inboxes, 2, peer_key)  # 2 followers each: 1 shared inbox
    await eventually(lambda: all(s.received for s in inboxes), what="a delivery to every inbox")
    await eventually(
        lambda: _delivered(settings, 3),
        what=lambda: f"3 delivered rows; worker logs:\n{workers.logs()}",
    )
    for server in inboxes:
        [received] = server.received
        assert received.path == "/inbox"
        assert received.activity["type"] == "Create"
        assert received.activity["object"]["type"] == "Article"


async def _delivered(settings: Settings, count: int) -> bool:
    return (await delivery_states(settings)).get("delivered") == count


async def test_500_twice_then_delivered_on_the_third_attempt_and_400_not_retried(
    env: dict[str, str], workers: Workers, inboxes: list[StandInServer], peer_key: KeyPair
) -> None:
    settings = settings_for(env)
    flaky, refusing, fine = inboxes
    flaky.respond("/inbox", 500, 500)
    refusing.respond("/inbox", 400)
    workers.start(1)
    await follow_and_publish(settings, inboxes, 1, peer_key)
    await eventually(lambda: len(flaky.received) == 3, what="the third attempt")
    await eventually(lambda: _delivered(settings, 2), what="two delivered")
    async with committed(settings) as session:
        rows = {d.inbox_url: d for d in await session.scalars(select(Delivery))}
    assert rows[f"{flaky.base_url}/inbox"].attempts == 3
    dead = rows[f"{refusing.base_url}/inbox"]
    assert (dead.status, dead.attempts, dead.last_status_code) == ("dead", 1, 400)
    assert len(fine.received) == 1
    # A retry of the 400 would have come within a quarter second on this curve.
    await asyncio.sleep(1.0)
    assert len(refusing.received) == 1


async def test_sigterm_while_delivering_loses_nothing_and_duplicates_nothing(
    env: dict[str, str], tmp_path: Path, inboxes: list[StandInServer], peer_key: KeyPair
) -> None:
    settings = settings_for(env)
    for server in inboxes:
        server.shared_inbox, server.delay = False, 0.4  # 10 personal inboxes each, slow
    pool = Workers({**env, "AP_WORKER_CONCURRENCY": "4"}, tmp_path)
    try:
        [first] = pool.start(1)
        await follow_and_publish(settings, inboxes, 10, peer_key)
        await eventually(
            lambda: sum(len(s.received) for s in inboxes) >= 4, what="deliveries under way"
        )
        assert await pool.stop(first) == 0
        states = await delivery_states(settings)
        assert "delivering" not in states, states  # finished or given back, none stranded
        assert sum(states.values()) == 30
        pool.start(1)
        await eventually(
            lambda: _delivered(settings, 30), within=60, what=lambda: f"all 30: {pool.logs()}"
        )
    finally:
        pool.stop_all()
    inboxes_reached = [(s.host, r.path) for s in inboxes for r in s.received]
    assert len(inboxes_reached) == 30, pool.logs()
    assert len(set(inboxes_reached)) == 30
