"""A full second server that is not ours, bovine-herd, on loopback: it follows the blog,
gets our Accept, then our Create; our member follows its user and records its Accept."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import aclosing
from typing import Any

import pytest
from bovine import BovineClient
from sqlalchemy import select

from shared.dev.embedded import free_port
from shared.infrastructure.activitypub.actors import member_actor
from shared.infrastructure.activitypub.http import FederationClient
from shared.models.activitypub import Follow
from shared.services.registry import wire_services
from tests.support.activitypub.herd import Herd, HerdUser
from tests.support.activitypub.live import Workers, committed, settings_for
from tests.support.activitypub.standin import eventually
from tests.support.factories import make_post, make_user
from tests.support.live import LivePlatform

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def herd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Herd, HerdUser]]:
    server = Herd(tmp_path_factory.mktemp("herd"), "127.0.0.50", free_port())
    user = server.create_user("peer")
    server.start()
    yield server, user
    server.stop()


async def collection_items(client: BovineClient, url: str) -> list[Any]:
    """Every item of a herd collection, embedded objects or ids, first page onwards."""
    collection = await client.get(url)
    items = list(collection.get("orderedItems") or [])
    page = collection.get("first")
    while page:
        document = await client.get(page if isinstance(page, str) else page["id"])
        items += document.get("orderedItems") or []
        page = document.get("next")
    return items


def ids(items: list[Any]) -> list[str]:
    return [item if isinstance(item, str) else item.get("id") for item in items]


async def test_the_herd_follows_the_blog_and_receives_its_posts(
    platform: tuple[LivePlatform, Workers], herd: tuple[Herd, HerdUser]
) -> None:
    live, workers = platform
    server, user = herd
    blog_actor = f"{live.public_url('blog')}/actor"
    async with BovineClient(domain=server.url, actor_id=user.id, secret=user.secret) as client:
        follow = client.activity_factory.follow(blog_actor).build()
        response = await client.send_to_outbox(follow)
        # Read, so its connection goes back to the pool: bovine hands back the aiohttp
        # response unread, and an unreleased one warns at garbage collection, in whichever
        # test runs then (a ResourceWarning is an error here).
        answer = await response.read()
        assert response.status == 201, answer

        # Herd adds the blog to `following` only for an Accept embedding its Follow by id.
        await eventually(
            lambda: _contains(client, user.actor["following"], blog_actor),
            within=60,
            what=lambda: (
                f"the blog in herd's following\nworker:\n{workers.logs()}\nherd:\n{server.log()}"
            ),
        )
        settings = settings_for(live.env())
        async with committed(settings) as session:
            post = await make_post(
                session, "Hello, herd", status="draft", html="<p>From the blog to the herd.</p>"
            )
            await wire_services(settings).blog.publish_post(session, post.id)
            object_id = f"{live.public_url('blog')}/objects/posts/{post.uuid}"

        async def created() -> bool:
            for item in await collection_items(client, user.actor["inbox"]):
                activity = item if isinstance(item, dict) else await client.get(item)
                target = activity.get("object")
                if activity.get("type") == "Create" and object_id in (target, _id(target)):
                    return True
            return False

        await eventually(
            created, within=60, what=lambda: f"the Create in herd's inbox\n{server.log()}"
        )


def _id(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


async def _contains(client: BovineClient, url: str, wanted: str) -> bool:
    return wanted in ids(await collection_items(client, url))


async def test_our_member_follows_a_herd_user_and_records_the_accept(
    platform: tuple[LivePlatform, Workers], herd: tuple[Herd, HerdUser]
) -> None:
    live, workers = platform
    server, user = herd
    settings = settings_for(live.env())
    async with (
        committed(settings) as session,
        aclosing(FederationClient(settings.activitypub)) as http,
    ):
        social = wire_services(settings).social
        # Sign-up makes a member's actor; this test makes the member directly, so it too.
        await social.create_member_actor(session, (await make_user(session, "wren")).id)
        await social.follow(session, http, username="wren", target=user.id)
        wren = await member_actor(session, settings, "wren")
        assert wren is not None
    async with BovineClient(domain=server.url, actor_id=user.id, secret=user.secret) as client:

        async def our_follow() -> dict[str, Any] | None:
            for item in await collection_items(client, user.actor["inbox"]):
                activity = item if isinstance(item, dict) else await client.get(item)
                if activity.get("type") == "Follow" and _id(activity.get("actor")) == wren.ap_id:
                    return dict(activity)
            return None

        follow = await eventually(
            our_follow,
            within=60,
            what=lambda: f"wren's Follow at herd\n{workers.logs()}\n{server.log()}",
        )
        accept = client.activity_factory.accept(follow).build()
        accept["to"] = [wren.ap_id]
        response = await client.send_to_outbox(accept)
        answer = await response.read()
        assert response.status == 201, answer

    async def accepted() -> bool:
        async with committed(settings) as session:
            status = await session.scalar(
                select(Follow.status).where(Follow.follower_id == wren.id)
            )
            return status == "accepted"

    await eventually(accepted, within=60, what=lambda: f"the Accept recorded\n{server.log()}")
