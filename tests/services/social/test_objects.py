"""Domain writes that federate put their activity in the outbox in the same transaction.

The domains record events (PostPublished, ProductListed, EventPublished); their
federation handlers (shared/services/*_federation.py) write the outbox row
inside the unit of work, so these tests run each write in one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from quart import Quart
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.infrastructure.config import Settings
from shared.infrastructure.fragment_cache import FragmentCache
from shared.infrastructure.uow import UnitOfWork
from shared.models.activitypub import Activity, ApObject
from shared.models.blog import Post
from shared.services.handlers import event_handlers
from shared.services.registry import Services, wire_services
from tests.conftest import AppFactory
from tests.support.factories import make_calendar, make_event, make_post, make_product, make_stall

AS_JSON = "application/activity+json"


@pytest.fixture
def wired(ap_settings: Settings) -> Services:
    return wire_services(ap_settings)


Unit = Callable[[], UnitOfWork]


@pytest.fixture
def unit(db: AsyncSession, redis: Redis) -> Unit:
    """A unit of work on the test's session, with the process's real handler table."""
    cache = FragmentCache(redis, keep_stale=60, timeout=1.0)
    return lambda: UnitOfWork(db, handlers=event_handlers(), fragments=cache)


async def outbox(db: AsyncSession) -> list[Activity]:
    return list(
        await db.scalars(
            select(Activity).where(Activity.direction == "outbound").order_by(Activity.id)
        )
    )


async def test_publishing_a_post_creates_an_article_with_summary_and_url(
    db: AsyncSession, wired: Services, unit: Unit, ap_settings: Settings
) -> None:
    post = await make_post(
        db,
        "Seed swap",
        status="draft",
        slug="seed-swap",
        html="<p>Bring <b>seeds</b> &amp; stories.</p>",
    )
    async with unit():
        summary = await wired.blog.publish_post(db, post.id)
    assert summary is not None and summary.slug == "seed-swap"
    [create] = await outbox(db)
    base = ap_settings.apps["blog"].base_url
    assert create.type == "Create" and create.status == "pending"
    assert create.payload["actor"] == f"{base}/actor"
    article = create.payload["object"]
    assert article["type"] == "Article"
    assert article["name"] == "Seed swap"
    assert article["summary"] == "Bring seeds & stories."
    assert article["url"] == f"{base}/seed-swap/"
    assert article["id"] == f"{base}/objects/posts/{post.uuid}"
    assert article["attributedTo"] == f"{base}/actor"
    assert "https://www.w3.org/ns/activitystreams#Public" in article["to"]
    assert create.payload["cc"] == [f"{base}/actor/followers"]


async def test_republishing_updates_and_deleting_tombstones(
    db: AsyncSession, wired: Services, unit: Unit, ap_settings: Settings
) -> None:
    post = await make_post(db, "Apple day", status="draft")
    async with unit():
        await wired.blog.publish_post(db, post.id)
    async with unit():
        await wired.blog.update_post(db, post.id, title="Apple day (moved)")
    async with unit():
        assert await wired.blog.delete_post(db, post.id)
    assert [a.type for a in await outbox(db)] == ["Create", "Update", "Delete"]
    delete = (await outbox(db))[-1]
    assert delete.payload["object"]["type"] == "Tombstone"
    stored = await db.scalar(
        select(ApObject).where(ApObject.ap_id == delete.payload["object"]["id"])
    )
    assert stored is not None and stored.deleted_at is not None
    assert await db.get(Post, post.id) is None


async def test_pages_drafts_and_members_only_posts_do_not_federate(
    db: AsyncSession, wired: Services, unit: Unit
) -> None:
    page = await make_post(db, "About", status="draft", type="page")
    private = await make_post(db, "Members", status="draft", visibility="members")
    async with unit():
        await wired.blog.publish_post(db, page.id)
    async with unit():
        await wired.blog.publish_post(db, private.id)
    draft = await make_post(db, "Later", status="draft")
    async with unit():
        await wired.blog.update_post(db, draft.id, title="Still later")
    assert await outbox(db) == []
    async with unit():
        assert await wired.blog.publish_post(db, 10**9) is None


async def test_a_rolled_back_publish_leaves_no_activity(
    db: AsyncSession, wired: Services, unit: Unit
) -> None:
    async with unit():  # the draft is committed; only the publish is rolled back
        post_id = (await make_post(db, "Oops", status="draft")).id
    with pytest.raises(RuntimeError, match="the route failed"):
        async with unit():
            await wired.blog.publish_post(db, post_id)
            raise RuntimeError("the route failed")
    assert await outbox(db) == []
    draft = await db.get(Post, post_id)
    assert draft is not None and draft.status == "draft"


async def test_listing_a_product_announces_it_once_as_a_note_with_its_link(
    db: AsyncSession, wired: Services, unit: Unit, ap_settings: Settings
) -> None:
    stall = await make_stall(db, "Marsh Honey")
    product = await make_product(
        db, stall, "Heather honey", 950, status="draft", description="Dark & floral."
    )
    async with unit():
        await wired.market.list_product(db, product.id)
    async with unit():
        await wired.market.list_product(db, product.id)
    [create] = await outbox(db)
    note = create.payload["object"]
    base = ap_settings.apps["market"].base_url
    assert note["type"] == "Note"
    assert note["url"] == f"{base}/stalls/{stall.slug}/{product.slug}/"
    assert "Heather honey" in note["content"] and "£9.50" in note["content"]
    assert note["url"] in note["content"]
    assert create.payload["actor"] == f"{base}/actor"


async def test_announcing_an_event_federates_an_event_object(
    db: AsyncSession, wired: Services, unit: Unit, ap_settings: Settings
) -> None:
    calendar = await make_calendar(db)
    starts = datetime(2030, 5, 1, 10, tzinfo=UTC)
    event = await make_event(
        db, calendar, "Bee walk", starts, location="The Marsh", description="Meet the bees."
    )
    draft = await make_event(db, calendar, "Not yet", starts, status="draft")
    async with unit():
        assert not await wired.events.announce_event(db, draft.id)
    async with unit():
        assert await wired.events.announce_event(db, event.id)
    async with unit():
        assert await wired.events.announce_event(db, event.id)
    create, update = await outbox(db)
    assert (create.type, update.type) == ("Create", "Update")
    obj = create.payload["object"]
    base = ap_settings.apps["events"].base_url
    assert obj["type"] == "Event" and obj["name"] == "Bee walk"
    assert obj["summary"] == "Meet the bees."
    assert obj["url"] == f"{base}/{calendar.slug}/{event.slug}/"
    assert obj["startTime"] == "2030-05-01T10:00:00Z"
    assert obj["endTime"] == (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert obj["location"] == {"type": "Place", "name": "The Marsh"}


async def test_published_objects_and_activities_are_dereferenceable_at_their_ids(
    db: AsyncSession, wired: Services, unit: Unit, make_app: AppFactory, ap_settings: Settings
) -> None:
    post = await make_post(db, "Dereference me", status="draft")
    async with unit():
        await wired.blog.publish_post(db, post.id)
    [create] = await outbox(db)
    app: Quart = await make_app("blog", app_settings=ap_settings)
    client = app.test_client()
    base = ap_settings.apps["blog"].base_url
    article = await client.get(
        create.payload["object"]["id"].removeprefix(base), headers={"Accept": AS_JSON}
    )
    assert article.status_code == 200
    assert (await article.get_json())["id"] == create.payload["object"]["id"]
    browser = await client.get(create.payload["object"]["id"].removeprefix(base))
    assert browser.status_code == 302 and browser.headers["Location"].endswith(f"/{post.slug}/")
    activity = await client.get(create.ap_id.removeprefix(base), headers={"Accept": AS_JSON})
    assert (await activity.get_json())["type"] == "Create"
    outbox_doc = await (await client.get("/actor/outbox", headers={"Accept": AS_JSON})).get_json()
    assert outbox_doc["totalItems"] == 1
    page = await (await client.get("/actor/outbox?page=1", headers={"Accept": AS_JSON})).get_json()
    assert page["orderedItems"][0]["id"] == create.ap_id
    async with unit():
        await wired.blog.delete_post(db, post.id)
    gone = await client.get(
        create.payload["object"]["id"].removeprefix(base), headers={"Accept": AS_JSON}
    )
    assert gone.status_code == 410
    assert (await gone.get_json())["type"] == "Tombstone"


async def test_publishing_a_draft_event_federates_it_in_the_same_transaction(
    db: AsyncSession, wired: Services, unit: Unit
) -> None:
    calendar = await make_calendar(db)
    starts = datetime(2030, 6, 1, 18, tzinfo=UTC)
    event = await make_event(db, calendar, "Midsummer supper", starts, status="draft")
    assert await outbox(db) == []

    async with unit():
        assert await wired.events.publish_event(db, event.id)

    [create] = await outbox(db)
    assert create.type == "Create"
    assert create.payload["object"]["name"] == "Midsummer supper"
