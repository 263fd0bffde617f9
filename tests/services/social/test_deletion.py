"""A deleted member's actor: a signed Delete reaches their followers' inboxes through the
delivery worker, and the actor, its outbox, inbox and WebFinger answer 410 Gone from then on."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from quart import Quart
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.infrastructure.activitypub.delivery import Claimed
from shared.infrastructure.activitypub.http import FederationClient
from shared.infrastructure.activitypub.keys import KeyPair
from shared.infrastructure.activitypub.processor import Processor
from shared.infrastructure.config import Settings
from shared.models.activitypub import Actor, Follow
from shared.services.registry import services
from tests.conftest import AppFactory
from tests.support.activitypub.standin import StandInServer
from tests.support.factories import make_user


@pytest.fixture
async def follower_server() -> AsyncIterator[StandInServer]:
    server = await StandInServer("127.0.0.61").start()
    yield server
    await server.stop()


async def test_the_delete_is_signed_and_delivered_to_each_followers_inbox(
    ap_settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    follower_server: StandInServer,
    peer_key: KeyPair,
) -> None:
    async with sessions() as session, session.begin():
        member = await make_user(session, "leaving_lu")
        await services.social.create_member_actor(session, member.id)
        actor = await session.scalar(select(Actor).where(Actor.user_id == member.id))
        assert actor is not None
        follower = follower_server.add_actor("fan", peer_key)
        remote = Actor(
            ap_id=follower.id,
            kind="remote",
            preferred_username="fan",
            domain=follower_server.host,
            inbox_url=follower.inbox,
            followers_url=f"{follower.id}/followers",
            key_id=follower.key_id,
            public_key_pem=peer_key.public_pem,
            fetched_at=datetime.now(UTC),
        )
        session.add(remote)
        await session.flush()
        session.add(Follow(follower_id=remote.id, following_id=actor.id, status="accepted"))
        assert await services.social.delete_member_actor(session, member.id)
        # The follower's server knew the key from earlier deliveries: the actor is 410 now.
        follower_server._keys[actor.key_id or ""] = actor.public_key_pem or ""
    client = FederationClient(ap_settings.activitypub)
    try:
        processor = Processor(ap_settings, sessions, client)
        assert await processor.fan_out_once() == 1
        claimed: deque[Claimed] = deque()
        await processor._claim(claimed, 10)
        outcomes = [await processor.deliver(item) for item in claimed]
    finally:
        await client.aclose()
    assert [o.status_code for o in outcomes] == [202]
    [received] = follower_server.received
    assert received.path == "/users/fan/inbox"
    assert received.verified_by is not None and received.signer is not None
    assert received.activity["type"] == "Delete"
    assert received.activity["object"] == actor.ap_id
    assert received.activity["actor"] == actor.ap_id


async def test_a_deleted_actor_its_outbox_inbox_and_webfinger_answer_410(
    ap_settings: Settings, make_app: AppFactory, db: AsyncSession
) -> None:
    member = await make_user(db, "gone_lu")
    await services.social.create_member_actor(db, member.id)
    kept = await make_user(db, "kept_lu")
    await services.social.create_member_actor(db, kept.id)
    await services.social.delete_member_actor(db, member.id)
    await db.flush()
    federation: Quart = await make_app("federation", app_settings=ap_settings)
    client = federation.test_client()
    host = ap_settings.apps["federation"].base_url.split("//")[1].rstrip("/")
    json_accept = {"Accept": "application/activity+json"}
    for path in ("/users/gone_lu", "/users/gone_lu/outbox"):
        assert (await client.get(path, headers=json_accept)).status_code == 410
    finger = await client.get(f"/.well-known/webfinger?resource=acct:gone_lu@{host}")
    assert finger.status_code == 410
    assert "deleted their account" in await finger.get_data(as_text=True)
    inbound = await client.post(
        "/users/gone_lu/inbox",
        data=b'{"type": "Follow"}',
        headers={"Content-Type": "application/activity+json"},
    )
    assert inbound.status_code == 410
    # Another member is untouched, and a name never used is still 404.
    assert (await client.get("/users/kept_lu", headers=json_accept)).status_code == 200
    assert (await client.get("/users/nobody_lu", headers=json_accept)).status_code == 404
    finger = await client.get(f"/.well-known/webfinger?resource=acct:kept_lu@{host}")
    assert finger.status_code == 200
