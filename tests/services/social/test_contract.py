"""The SocialService contract, run against every implementation (SQL today; a stand-in
joins by adding its factory to IMPLEMENTATIONS)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import FederatedObject
from shared.contracts.protocols import SocialService
from shared.infrastructure.config import APP_NAMES, Settings
from shared.models.activitypub import Activity, Actor, Follow, Notification, TimelineEntry
from shared.services.social import SqlSocialService
from tests.support.factories import make_note, make_user

IMPLEMENTATIONS: dict[str, Callable[[Settings], SocialService]] = {"sql": SqlSocialService}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def social(request: pytest.FixtureRequest, settings: Settings) -> SocialService:
    return IMPLEMENTATIONS[request.param](settings)


def note(key: str = "notes/1", **fields: object) -> FederatedObject:
    return FederatedObject(
        app="market",
        key=key,
        type="Note",
        content_html="<p>Fresh loaves</p>",
        path="/bakery/loaf/",
        published_at=datetime.now(UTC),
        **fields,  # type: ignore[arg-type]
    )


async def remote(db: AsyncSession, name: str) -> Actor:
    actor = Actor(
        ap_id=f"https://peer.example/users/{name}",
        kind="remote",
        preferred_username=name,
        domain="peer.example",
        inbox_url=f"https://peer.example/users/{name}/inbox",
    )
    db.add(actor)
    await db.flush()
    return actor


async def test_a_member_actor_is_made_once_with_a_key_of_its_own(
    db: AsyncSession, social: SocialService, settings: Settings
) -> None:
    user = await make_user(db, "wren", display_name="Wren Hale")
    made = await social.create_member_actor(db, user.id)
    assert made.kind == "member" and made.type == "Person"
    assert made.ap_id == f"{settings.apps['federation'].base_url}/users/wren"
    assert made.key_id == f"{made.ap_id}#main-key"
    assert made.public_key_pem and "PUBLIC KEY" in made.public_key_pem
    again = await social.create_member_actor(db, user.id)
    assert again == made
    assert await db.scalar(select(func.count(Actor.id)).where(Actor.user_id == user.id)) == 1


async def test_making_the_actor_of_no_member_raises_lookup_error(
    db: AsyncSession, social: SocialService
) -> None:
    with pytest.raises(LookupError):
        await social.create_member_actor(db, 2_000_000_000)


async def test_a_member_actor_is_found_by_username_with_the_profile_as_it_is_now(
    db: AsyncSession, social: SocialService
) -> None:
    user = await make_user(db, "Tamsin", display_name="Tamsin")
    await social.create_member_actor(db, user.id)
    user.display_name, user.bio, user.avatar_url = "Tamsin Reed", "Weaver & dyer", "/a.png"
    await db.flush()
    found = await social.get_member_actor(db, "tamsin")
    assert found is not None
    assert (found.display_name, found.summary, found.icon_url) == (
        "Tamsin Reed",
        "<p>Weaver &amp; dyer</p>",
        "/a.png",
    )


async def test_no_actor_is_found_for_a_stranger_or_a_member_without_one(
    db: AsyncSession, social: SocialService
) -> None:
    await make_user(db, "olive")
    assert await social.get_member_actor(db, "olive") is None
    assert await social.get_member_actor(db, "nobody") is None


async def test_app_actors_come_from_the_settings_before_and_after_their_rows_exist(
    db: AsyncSession, social: SocialService, settings: Settings
) -> None:
    before = await social.get_app_actor(db, "blog")
    assert before.ap_id == f"{settings.apps['blog'].base_url}/actor"
    assert before.type == "Organization" and before.key_id == f"{before.ap_id}#main-key"
    made = await social.ensure_app_actors(db)
    assert [a.app_name for a in made] == [*APP_NAMES, "instance"]
    after = await social.get_app_actor(db, "blog")
    assert after.published_at is not None
    assert (after.ap_id, after.public_key_pem) == (before.ap_id, before.public_key_pem)
    instance = await social.get_app_actor(db, "instance")
    assert instance.type == "Application"
    with pytest.raises(ValueError):
        await social.get_app_actor(db, "shop")


async def test_collections_count_and_page_accepted_followers_newest_first(
    db: AsyncSession, social: SocialService
) -> None:
    [blog] = [a for a in await social.ensure_app_actors(db) if a.app_name == "blog"]
    ours = await db.scalar(select(Actor).where(Actor.ap_id == blog.ap_id))
    assert ours is not None
    peers = [await remote(db, name) for name in ("p1", "p2", "p3")]
    for peer, status in zip(peers, ("accepted", "accepted", "pending"), strict=True):
        db.add(Follow(follower_id=peer.id, following_id=ours.id, status=status))
    await db.flush()
    page = await social.get_collection(db, blog.ap_id, "followers", limit=1, offset=0)
    assert page.total == 2 and page.items == (peers[1].ap_id,)
    rest = await social.get_collection(db, blog.ap_id, "followers", limit=5, offset=1)
    assert rest.items == (peers[0].ap_id,)
    counted = await social.get_collection(db, blog.ap_id, "followers", limit=0, offset=0)
    assert counted.total == 2 and counted.items == ()
    assert (await social.get_collection(db, blog.ap_id, "following", limit=5, offset=0)).total == 0
    assert [f.follower for f in await social.list_followers(db, "blog")] == [p.ap_id for p in peers]


async def test_an_actor_we_do_not_have_has_empty_collections(
    db: AsyncSession, social: SocialService
) -> None:
    peer = await remote(db, "p9")
    for name in ("outbox", "followers", "following"):
        part = await social.get_collection(db, peer.ap_id, name, limit=5, offset=0)  # type: ignore[arg-type]
        assert (part.total, part.items) == (0, ())


async def test_a_published_object_is_served_then_tombstoned(
    db: AsyncSession, social: SocialService
) -> None:
    assert not await social.is_published(db, "market", "notes/1")
    created = await social.publish(db, note(), "Create")
    assert created.type == "Create" and created.status == "pending"
    assert await social.is_published(db, "market", "notes/1")
    stored = await social.get_local_object(db, created.object_ap_id or "")
    assert stored is not None and not stored.deleted
    assert stored.document["id"] == created.object_ap_id
    activity = await social.get_public_activity(db, created.ap_id)
    assert activity is not None and activity["type"] == "Create"
    market = await social.get_app_actor(db, "market")
    outbox = await social.get_collection(db, market.ap_id, "outbox", limit=5, offset=0)
    assert outbox.total == 1 and isinstance(outbox.items[0], dict)
    await social.publish(db, note(), "Delete")
    gone = await social.get_local_object(db, created.object_ap_id or "")
    assert gone is not None and gone.deleted
    assert not await social.is_published(db, "market", "notes/1")
    with pytest.raises(ValueError):
        await social.publish(db, note(), "Like")


async def test_unknown_or_private_activities_and_objects_are_not_served(
    db: AsyncSession, social: SocialService
) -> None:
    assert await social.get_local_object(db, "https://nowhere.example/objects/1") is None
    assert await social.get_public_activity(db, "https://nowhere.example/a/1") is None
    created = await social.publish(db, note("notes/2"), "Create")
    row = await db.scalar(select(Activity).where(Activity.ap_id == created.ap_id))
    assert row is not None
    row.payload = {**row.payload, "to": ["https://peer.example/users/p1"], "cc": []}
    await db.flush()
    assert await social.get_public_activity(db, created.ap_id) is None


async def test_usage_counts_members_with_actors_and_live_local_posts(
    db: AsyncSession, social: SocialService
) -> None:
    before = await social.get_usage(db)
    user = await make_user(db, "quill")
    await social.create_member_actor(db, user.id)
    await social.publish(db, note("notes/3"), "Create")
    after = await social.get_usage(db)
    assert (after.members, after.local_posts) == (before.members + 1, before.local_posts + 1)


async def test_the_local_timeline_shows_members_notes_not_app_listings(
    db: AsyncSession, social: SocialService
) -> None:
    user = await make_user(db, "ivy", display_name="Ivy")
    made = await social.create_member_actor(db, user.id)
    actor = await db.scalar(select(Actor).where(Actor.ap_id == made.ap_id))
    assert actor is not None
    await make_note(db, actor, "<p>Hello <script>x()</script>world</p>")
    await social.publish(db, note("notes/4"), "Create")
    [shown] = await social.list_local_timeline(db)
    assert shown.author_name == "Ivy" and "<script>" not in shown.content_html


async def test_whom_a_member_follows_oldest_first_and_nothing_for_strangers(
    db: AsyncSession, social: SocialService
) -> None:
    assert await social.list_following(db, "nobody") == []
    user = await make_user(db, "fern")
    made = await social.create_member_actor(db, user.id)
    fern = await db.scalar(select(Actor).where(Actor.ap_id == made.ap_id))
    assert fern is not None
    peers = [await remote(db, name) for name in ("p4", "p5")]
    for peer in peers:
        db.add(Follow(follower_id=fern.id, following_id=peer.id, status="pending"))
    await db.flush()
    following = await social.list_following(db, "fern")
    assert [(f.follower, f.following, f.status) for f in following] == [
        (made.ap_id, p.ap_id, "pending") for p in peers
    ]


async def test_notifications_newest_first_counted_until_marked_read(
    db: AsyncSession, social: SocialService
) -> None:
    user = await make_user(db, "sorrel")
    made = await social.create_member_actor(db, user.id)
    sorrel = await db.scalar(select(Actor).where(Actor.ap_id == made.ap_id))
    assert sorrel is not None
    liked = await make_note(db, sorrel, "<p>Kiln day</p>")
    fan = await remote(db, "fan")
    db.add(Notification(user_id=user.id, kind="follow", actor_id=fan.id))
    await db.flush()
    db.add(Notification(user_id=user.id, kind="like", actor_id=fan.id, object_id=liked.id))
    await db.flush()
    shown = await social.list_notifications(db, user.id)
    assert [(n.kind, n.actor, n.object_ap_id, n.read) for n in shown] == [
        ("like", fan.ap_id, liked.ap_id, False),
        ("follow", fan.ap_id, None, False),
    ]
    assert shown[0].actor_handle == "@fan@peer.example"
    assert await social.count_unread_notifications(db, user.id) == 2
    assert await social.mark_notifications_read(db, user.id) == 2
    assert await social.count_unread_notifications(db, user.id) == 0
    assert all(n.read for n in await social.list_notifications(db, user.id))
    assert await social.list_notifications(db, 2_000_000_000) == []


async def test_the_home_timeline_shows_what_reached_the_member_newest_first(
    db: AsyncSession, social: SocialService
) -> None:
    user = await make_user(db, "yarrow")
    author = await remote(db, "author")
    older = await make_note(db, author, "<p>First</p>", is_local=False)
    newer = await make_note(db, author, "<p>Second</p>", is_local=False)
    gone = await make_note(db, author, "<p>Gone</p>", is_local=False, deleted_at=datetime.now(UTC))
    for stored in (older, newer, gone):
        db.add(TimelineEntry(user_id=user.id, object_id=stored.id))
        await db.flush()
    home = await social.list_home_timeline(db, user.id)
    assert [n.ap_id for n in home] == [newer.ap_id, older.ap_id]
    assert await social.list_home_timeline(db, 2_000_000_000) == []
