"""Follow requests, blocks and domain blocks, with activities arriving as another
server sends them (stored, then processed) and what our members then see."""

from __future__ import annotations

import json

from quart import Quart
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.social import NewStatus, PageQuery
from shared.infrastructure.activitypub.actors import member_actor
from shared.infrastructure.activitypub.signatures import sign_request
from shared.infrastructure.config import Settings
from shared.models.activitypub import Activity, ApObject, Direction, Follow, FollowState
from shared.services.registry import services
from tests.conftest import AppFactory
from tests.services.social.test_inbound import deliver
from tests.support.activitypub.fixtures import MakePeer
from tests.support.factories import make_user

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def outbound(db: AsyncSession, kind: str) -> list[dict[str, object]]:
    rows = await db.scalars(
        select(Activity.payload).where(
            Activity.direction == Direction.OUTBOUND, Activity.type == kind
        )
    )
    return list(rows)


async def test_a_member_who_approves_by_hand_gets_a_request_and_accepting_sends_the_accept(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    ap_settings: Settings,
    make_peer: MakePeer,
) -> None:
    social = services.social
    user = await make_user(db, "cleo")
    await social.create_member_actor(db, user.id)
    await social.set_locked(db, user.id, True)
    cleo = await member_actor(db, ap_settings, "cleo")
    assert cleo is not None
    peer = await make_peer()
    follow = peer.activity("Follow", cleo.ap_id)
    await db.commit()
    assert await deliver(sessions, db, ap_settings, peer, follow, cleo) == "done"
    assert await outbound(db, "Accept") == []
    [request] = await social.list_follow_requests(db, user.id)
    assert request.account.ap_id == peer.actor.ap_id
    groups = await social.list_notification_groups(db, user.id)
    assert [g.kind for g in groups] == ["follow_request"]

    relationship = await social.answer_follow_request(db, user.id, peer.actor.id, accept=True)
    assert relationship.followed_by
    [accept] = await outbound(db, "Accept")
    assert accept["object"] == {k: v for k, v in follow.items() if k != "@context"}
    assert [g.kind for g in await social.list_notification_groups(db, user.id)] == ["follow"]


async def test_blocking_sends_a_block_ends_follows_and_hides_their_posts(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    ap_settings: Settings,
    make_peer: MakePeer,
) -> None:
    social = services.social
    user = await make_user(db, "cleo")
    await social.create_member_actor(db, user.id)
    cleo = await member_actor(db, ap_settings, "cleo")
    assert cleo is not None
    peer = await make_peer()
    db.add(Follow(follower_id=cleo.id, following_id=peer.actor.id, status=FollowState.ACCEPTED))
    await db.commit()
    await deliver(sessions, db, ap_settings, peer, peer.activity("Follow", cleo.ap_id), cleo)
    note = {
        "id": f"{peer.actor.ap_id}/notes/1",
        "type": "Note",
        "attributedTo": peer.actor.ap_id,
        "content": "<p>hello <script>x</script>cleo</p>",
        "to": [PUBLIC],
    }
    await deliver(sessions, db, ap_settings, peer, peer.activity("Create", note, to=[PUBLIC]))
    home = await social.home_page(db, user.id, PageQuery())
    assert [s.content_html for s in home.items] == ["<p>hello cleo</p>"]  # sanitized

    await social.moderate(db, user.id, peer.actor.id, "block")
    assert (await social.home_page(db, user.id, PageQuery())).items == ()
    assert (await social.public_page(db, user.id, PageQuery())).items == ()
    follows = await db.scalar(
        select(func.count(Follow.id)).where(
            (Follow.follower_id == peer.actor.id) | (Follow.following_id == peer.actor.id)
        )
    )
    assert follows == 0
    [block] = await outbound(db, "Block")
    assert block["object"] == peer.actor.ap_id
    assert (await social.get_relationship(db, user.id, peer.actor.id)).blocking


async def test_a_domain_block_purges_their_posts_and_refuses_their_inbox_posts(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    ap_settings: Settings,
    make_peer: MakePeer,
    make_app: AppFactory,
) -> None:
    social = services.social
    user = await make_user(db, "cleo")
    await social.create_member_actor(db, user.id)
    cleo = await member_actor(db, ap_settings, "cleo")
    assert cleo is not None
    peer = await make_peer()
    db.add(Follow(follower_id=cleo.id, following_id=peer.actor.id, status=FollowState.ACCEPTED))
    await db.commit()
    note = {"id": f"{peer.actor.ap_id}/notes/2", "type": "Note", "content": "spam", "to": [PUBLIC]}
    await deliver(sessions, db, ap_settings, peer, peer.activity("Create", note, to=[PUBLIC]))
    assert len((await social.home_page(db, user.id, PageQuery())).items) == 1

    purged = await social.block_domain(db, peer.actor.domain, "spam")
    assert purged == 1
    assert (await social.home_page(db, user.id, PageQuery())).items == ()
    stored = await db.scalar(select(ApObject).where(ApObject.ap_id == note["id"]))
    assert stored is not None and stored.deleted_at is not None and stored.content_html == ""
    await db.commit()

    app: Quart = await make_app("federation", app_settings=ap_settings)
    url = f"{ap_settings.apps['federation'].base_url}/inbox"
    body = json.dumps(peer.activity("Follow", cleo.ap_id)).encode()
    headers = sign_request(
        "POST", url, key_id=peer.actor.key_id or "", private_key=peer.key.private_key, body=body
    )
    response = await app.test_client().post("/inbox", data=body, headers=headers)
    assert response.status_code == 403
    assert "blocked" in (await response.get_json())["error"]


async def test_a_local_reply_to_a_followers_only_post_needs_a_follow(
    db: AsyncSession, ap_settings: Settings
) -> None:
    social = services.social
    cleo_user, dora_user = await make_user(db, "cleo"), await make_user(db, "dora")
    for u in (cleo_user, dora_user):
        await social.create_member_actor(db, u.id)
    post = await social.create_status(db, cleo_user.id, NewStatus("inner circle", "followers"))
    refused = None
    try:
        await social.create_status(db, dora_user.id, NewStatus("me too", in_reply_to_id=post.id))
    except Exception as exc:
        refused = exc
    assert refused is not None and getattr(refused, "status", None) == 404
    await social.follow_account(db, dora_user.id, post.account.id)
    reply = await social.create_status(
        db, dora_user.id, NewStatus("me too", in_reply_to_id=post.id)
    )
    assert reply.in_reply_to_id == post.id


async def test_a_remote_block_of_our_member_ends_the_follows_between_them(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    ap_settings: Settings,
    make_peer: MakePeer,
) -> None:
    user = await make_user(db, "cleo")
    await services.social.create_member_actor(db, user.id)
    cleo = await member_actor(db, ap_settings, "cleo")
    assert cleo is not None
    peer = await make_peer()
    db.add(Follow(follower_id=cleo.id, following_id=peer.actor.id, status=FollowState.ACCEPTED))
    db.add(Follow(follower_id=peer.actor.id, following_id=cleo.id, status=FollowState.ACCEPTED))
    await db.commit()
    assert (
        await deliver(sessions, db, ap_settings, peer, peer.activity("Block", cleo.ap_id)) == "done"
    )
    assert await db.scalar(select(func.count(Follow.id))) == 0


async def test_a_remote_post_keeps_its_images_alt_text_warning_tags_and_language(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    ap_settings: Settings,
    make_peer: MakePeer,
) -> None:
    user = await make_user(db, "cleo")
    await services.social.create_member_actor(db, user.id)
    cleo = await member_actor(db, ap_settings, "cleo")
    assert cleo is not None
    peer = await make_peer()
    db.add(Follow(follower_id=cleo.id, following_id=peer.actor.id, status=FollowState.ACCEPTED))
    await db.commit()
    note = {
        "id": f"{peer.actor.ap_id}/notes/9",
        "type": "Note",
        "content": '<p>Look <a href="javascript:alert(1)">here</a></p>',
        "contentMap": {"de": "<p>Look</p>"},
        "summary": "<b>eye strain</b>",
        "to": [PUBLIC],
        "tag": [{"type": "Hashtag", "name": "#Bees"}],
        "attachment": [
            {"type": "Document", "mediaType": "image/jpeg", "url": "https://peer.example/a.jpg",
             "name": "a bee on a flower"},
            {"type": "Document", "mediaType": "image/png", "url": "javascript:alert(2)"},
            {"type": "Document", "mediaType": "video/mp4", "url": "https://peer.example/v.mp4"},
        ],
    }  # fmt: skip
    await deliver(sessions, db, ap_settings, peer, peer.activity("Create", note, to=[PUBLIC]))
    [status] = (await services.social.home_page(db, user.id, PageQuery())).items
    assert [(m.url, m.alt) for m in status.media] == [
        ("https://peer.example/a.jpg", "a bee on a flower")
    ]
    assert status.spoiler_text == "eye strain" and status.tags == ("bees",)
    assert status.language == "de" and "javascript:" not in status.content_html
    tagged = await services.social.public_page(db, user.id, PageQuery(), tag="bees")
    assert [s.id for s in tagged.items] == [status.id]
