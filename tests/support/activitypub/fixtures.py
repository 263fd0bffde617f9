"""Fixtures for the ActivityPub and social tests (imported by their conftest.py): the
platform key, settings that allow loopback, remote actors whose keys we hold (stand-ins
for other servers' members) and a live platform."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from shared.dev.schema import migrate
from shared.infrastructure.activitypub.http import Signer
from shared.infrastructure.activitypub.keys import KeyPair, generate_keypair
from shared.infrastructure.config import Settings
from shared.models.activitypub import Actor
from tests.conftest import TEST_SECRET_KEY
from tests.support.activitypub.live import Workers, worker_env
from tests.support.databases import DatabaseServer
from tests.support.live import LivePlatform

_ids = itertools.count(1)
LIVE_DATABASE = "rose_ash_ap_live"


@pytest.fixture(scope="session")
def platform_key() -> KeyPair:
    return generate_keypair()


@pytest.fixture(scope="session")
def peer_key() -> KeyPair:
    return generate_keypair()


@pytest.fixture(scope="session")
def ap_settings(settings: Settings, platform_key: KeyPair) -> Settings:
    """The run's settings with a platform key, loopback allowed, inbound work left to the
    worker (no background task racing the test's transaction) and a fast retry curve."""
    activitypub = settings.activitypub.model_copy(
        update={
            "private_key": platform_key.private_pem,
            "fetch_allow_networks": "127.0.0.0/8,::1/128",
            "inbox_background": False,
            "delivery_backoff_scale": 0.01,
        }
    )
    return settings.model_copy(update={"activitypub": activitypub})


@dataclass
class RemotePeer:
    """An actor on another server, cached in our database, whose private key the test holds."""

    actor: Actor
    key: KeyPair

    @property
    def signer(self) -> Signer:
        return Signer(self.actor.key_id or "", self.key.private_key)

    def activity(self, type_: str, object_: Any, **fields: Any) -> dict[str, Any]:
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{self.actor.ap_id}/activities/{next(_ids)}",
            "type": type_,
            "actor": self.actor.ap_id,
            "object": object_,
            **fields,
        }


MakePeer = Callable[..., Any]


@pytest.fixture
def make_peer(db: AsyncSession, peer_key: KeyPair) -> MakePeer:
    async def make(
        name: str | None = None, *, domain: str = "peer.example", shared_inbox: bool = True
    ) -> RemotePeer:
        name = name or f"peer{next(_ids)}"
        ap_id = f"https://{domain}/users/{name}"
        actor = Actor(
            ap_id=ap_id,
            kind="remote",
            type="Person",
            preferred_username=name,
            domain=domain,
            inbox_url=f"{ap_id}/inbox",
            shared_inbox_url=f"https://{domain}/inbox" if shared_inbox else None,
            followers_url=f"{ap_id}/followers",
            key_id=f"{ap_id}#main-key",
            public_key_pem=peer_key.public_pem,
            fetched_at=datetime.now(UTC),
        )
        db.add(actor)
        await db.flush()
        return RemotePeer(actor, peer_key)

    return make


@pytest.fixture(scope="package")
def platform(
    database_server: DatabaseServer,
    redis_url: str,
    platform_key: KeyPair,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LivePlatform, Workers]]:
    url = database_server.create_fresh(LIVE_DATABASE)
    migrate(url)
    logs = tmp_path_factory.mktemp("peer-logs")
    env = worker_env({"AP_PRIVATE_KEY": platform_key.private_pem})
    live = LivePlatform(url, redis_url, TEST_SECRET_KEY, logs, extra_env=env, loopback_ips=True)
    live.start("blog", "federation")
    workers = Workers(live.env(), logs)
    workers.start(1)
    yield live, workers
    workers.stop_all()
    live.stop()
    database_server.drop(LIVE_DATABASE)
