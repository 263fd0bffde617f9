"""The acceptance test of the social hub, in headless Chromium against bovine-herd (a
full ActivityPub server we did not write): cleo follows a herd account by its handle,
its post reaches her home timeline, she replies and favourites it and the herd gets
both; the herd user follows her and she sees one follow notification; she blocks
them and their posts vanish from her timelines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from bovine import BovineClient

from shared.dev.embedded import free_port
from tests.infrastructure.activitypub.test_live_herd import collection_items
from tests.sso.conftest import PASSWORD
from tests.sso.test_browser_sso import SIGN_IN, chromium, fill_sign_in_form
from tests.support.activitypub.herd import Herd, HerdUser
from tests.support.activitypub.live import Workers
from tests.support.activitypub.standin import eventually
from tests.support.live import LivePlatform

pytestmark = pytest.mark.slow
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture(scope="module")
def herd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Herd, HerdUser]]:
    server = Herd(tmp_path_factory.mktemp("herd"), "127.0.0.52", free_port())
    user = server.create_user("moo")
    server.start()
    yield server, user
    server.stop()


def _id(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


async def _activities(client: BovineClient, inbox: str) -> list[dict[str, Any]]:
    found = []
    for item in await collection_items(client, inbox):
        found.append(item if isinstance(item, dict) else await client.get(item))
    return found


async def test_cleo_follows_replies_favourites_is_followed_and_blocks_a_herd_account(
    platform: tuple[LivePlatform, Workers], herd: tuple[Herd, HerdUser]
) -> None:
    live, workers = platform
    server, user = herd
    federation = live.public_url("federation")
    cleo_id = f"{federation}/users/cleo"
    logs = lambda: f"worker:\n{workers.logs()}\nherd:\n{server.log()}"  # noqa: E731
    async with (
        chromium() as (_context, page),
        BovineClient(domain=server.url, actor_id=user.id, secret=user.secret) as herd_client,
    ):
        # Sign up with the form (signed in by it), as a new member would.
        await page.goto(federation + "/signup")
        for field, value in (
            ("email", "cleo@example.test"),
            ("username", "cleo"),
            ("display_name", "Cleo"),
            ("password", PASSWORD),
        ):
            await page.fill(f"#{field}", value)
        await page.get_by_role("button", name="Create account").click()
        await page.wait_for_load_state()
        if await page.locator(SIGN_IN).count():
            await page.locator(SIGN_IN).click()
            await fill_sign_in_form(page, "cleo")

        # Follow by handle: WebFinger on the herd, then the Follow.
        handle = f"@{user.actor['preferredUsername']}@{server.host}:{server.port}"
        await page.goto(federation + "/search")
        await page.fill("#search-q", handle)
        await page.get_by_role("button", name="Find").click()
        await page.wait_for_load_state()
        assert "/accounts/" in page.url, (await page.content())[-3000:]
        await page.get_by_role("button", name="Follow").click()
        assert await page.get_by_role("button", name="Cancel follow request").count() == 1

        async def follow_at_herd() -> dict[str, Any] | None:
            for activity in await _activities(herd_client, user.actor["inbox"]):
                if activity.get("type") == "Follow" and _id(activity.get("actor")) == cleo_id:
                    return activity
            return None

        follow = await eventually(follow_at_herd, within=60, what=logs)
        accept = herd_client.activity_factory.accept(follow).build()
        accept["to"] = [cleo_id]
        assert (await herd_client.send_to_outbox(accept)).status == 201

        async def following() -> bool:
            await page.reload()
            return await page.get_by_role("button", name="Unfollow").count() == 1

        await eventually(following, within=60, what=logs)

        # The herd user's post reaches cleo's home timeline.
        note = herd_client.object_factory.note(content="Moo from the herd").as_public().build()
        note["to"] = [PUBLIC]
        note["cc"] = [user.actor["followers"]]
        create = herd_client.activity_factory.create(note).build()
        assert (await herd_client.send_to_outbox(create)).status == 201

        async def in_home() -> bool:
            await page.goto(federation + "/home")
            return await page.get_by_text("Moo from the herd").count() == 1

        await eventually(in_home, within=60, what=logs)

        # Favourite it, then reply from its page.
        card = page.locator("article.status", has_text="Moo from the herd")
        await card.get_by_role("button", name="Favourite 0").click()
        card = page.locator("article.status", has_text="Moo from the herd")
        assert await card.get_by_role("button", name="Unfavourite 1").count() == 1
        await card.locator(".status__time").click()
        await page.fill(
            "#compose-status-reply", f"@{user.name}@{server.host}:{server.port} Moo to you!"
        )
        await page.get_by_role("button", name="Reply").click()
        await page.get_by_text("Moo to you!").first.wait_for()

        async def reply_and_like() -> bool:
            activities = await _activities(herd_client, user.actor["inbox"])
            likes = [a for a in activities if a.get("type") == "Like"]
            replies = [
                a
                for a in activities
                if a.get("type") == "Create"
                and isinstance(a.get("object"), dict)
                and a["object"].get("inReplyTo") is not None
            ]
            return bool(likes) and bool(replies)

        await eventually(reply_and_like, within=60, what=logs)

        # The herd user follows cleo: one follow notification.
        back = herd_client.activity_factory.follow(cleo_id).build()
        assert (await herd_client.send_to_outbox(back)).status == 201

        async def notified() -> bool:
            await page.goto(federation + "/notifications")
            return await page.get_by_text("followed you").count() == 1

        await eventually(notified, within=60, what=logs)
        await page.goto(federation + "/notifications")
        assert await page.get_by_text("followed you").count() == 1

        # Block: their posts vanish from her timelines.
        await page.goto(federation + "/search")
        await page.fill("#search-q", handle)
        await page.get_by_role("button", name="Find").click()
        await page.get_by_role("button", name="Block").click()
        assert await page.get_by_role("button", name="Unblock").count() == 1
        for path in ("/home", "/federated"):
            await page.goto(federation + path)
            assert await page.get_by_text("Moo from the herd").count() == 0, path
        await page.screenshot(path=str(live.log_dir / "social-blocked.png"))
