"""What inbound activities do, handled straight from the stored row (no HTTP)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.infrastructure.activitypub.actors import app_actor, member_actor
from shared.infrastructure.activitypub.inbox import process_inbound, store_inbound
from shared.infrastructure.config import Settings
from shared.models.activitypub import Activity, Actor, ApObject, Follow, Notification, TimelineEntry
from tests.support.activitypub.fixtures import MakePeer, RemotePeer
from tests.support.factories import make_user

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def deliver(
    sessions: async_sessionmaker[AsyncSession],
    db: AsyncSession,
    settings: Settings,
    peer: RemotePeer,
    activity: dict[str, Any],
    recipient: Actor | None = None,
) -> str:
    row_id = await store_inbound(db, peer.actor, recipient.ap_id if recipient else None, activity)
    assert row_id is not None
    await db.flush()
    status = await process_inbound(sessions, None, row_id)
    db.expunge_all()  # later reads see what the handler committed
    return status


async def follow_from_here(db: AsyncSession, settings: Settings, peer: RemotePeer) -> Actor:
    """A member here who follows the peer, so its posts concern us."""
    await make_user(db, f"fan{peer.actor.id}")
    fan = await member_actor(db, settings, f"fan{peer.actor.id}")
    assert fan is not None
    db.add(Follow(follower_id=fan.id, following_id=peer.actor.id, status="accepted"))
    await db.flush()
    return fan


async def test_a_follow_of_an_app_is_accepted_with_the_follow_embedded_verbatim(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    ap_settings: Settings,
    make_peer: MakePeer,
) -> None:
    blog = await app_actor(db, ap_settings, "blog")
    peer = await make_peer()
    follow = peer.activity("Follow", blog.ap_id, extra={"kept": True})
    assert await deliver(sessions, db, ap_settings, peer, follow, blog) == "done"
    row = await db.scalar(select(Follow).where(Follow.following_id == blog.id))
    assert row is not None and row.status == "accepted"
    assert row.follow_activity_id == follow["id"]
    accept = await db.scalar(select(Activity).where(Activity.type == "Accept"))
    assert accept is not None and accept.direction == "outbound"
    assert accept.payload["actor"] == blog.ap_id
    assert accept.payload["to"] == [peer.actor.ap_id]
    embedded = {k: v for k, v in follow.items() if k != "@context"}
    assert accept.payload["object"] == embedded


async def test_redelivering_a_follow_changes_nothing(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    ap_settings: Settings,
    make_peer: MakePeer,
) -> None:
    blog = await app_actor(db, ap_settings, "blog")
    peer = await make_peer()
    follow = peer.activity("Follow", blog.ap_id)
    await deliver(sessions, db, ap_settings, peer, follow, blog)
    assert await store_inbound(db, peer.actor, blog.ap_id, follow) is None


async def test_undo_follow_removes_the_follower(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    ap_settings: Settings,
    make_peer: MakePeer,
) -> None:
    blog = await app_actor(db, ap_settings, "blog")
    peer = await make_peer()
    follow = peer.activity("Follow", blog.ap_id)
    await deliver(sessions, db, ap_settings, peer, follow, blog)
    await deliver(sessions, db, ap_settings, peer, peer.activity("Undo", follow), blog)
    assert await db.scalar(select(Follow).where(Follow.following_id == blog.id)) is None


async def test_an_accept_of_our_members_follow_marks_it_accepted(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    ap_settings: Settings,
    make_peer: MakePeer,
) -> None:
    await make_user(db, "jo")
    jo = await member_actor(db, ap_settings, "jo")
    assert jo is not None
    peer, stranger = await make_peer(), await make_peer()
    ours = {
        "id": f"{jo.ap_id}/follows/1",
        "type": "Follow",
        "actor": jo.ap_id,
        "object": peer.actor.ap_id,
    }
    db.add(
        Follow(
            follower_id=jo.id,
            following_id=peer.actor.id,
            status="pending",
            follow_activity_id=ours["id"],
        )
    )
    await db.flush()
    # Someone else cannot accept it for them.
    await deliver(sessions, db, ap_settings, stranger, stranger.activity("Accept", ours))
    follow = await db.scalar(select(Follow).where(Follow.follower_id == jo.id))
    assert follow is not None and follow.status == "pending"
    await deliver(sessions, db, ap_settings, peer, peer.activity("Accept", ours["id"]))
    follow = await db.scalar(select(Follow).where(Follow.follower_id == jo.id))
    assert follow is not None and follow.status == "accepted"
    await deliver(sessions, db, ap_settings, peer, peer.activity("Reject", ours))
    follow = await db.scalar(select(Follow).where(Follow.follower_id == jo.id))
    assert follow is not None and follow.status == "rejected"


async def test_a_created_note_is_sanitized_and_reaches_followers_timelines(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    ap_settings: Settings,
    make_peer: MakePeer,
) -> None:
    user = await make_user(db, "kim")
    kim = await member_actor(db, ap_settings, "kim")
    assert kim is not None
    peer = await make_peer()
    db.add(Follow(follower_id=kim.id, following_id=peer.actor.id, status="accepted"))
    await db.flush()
    note = {
        "id": f"{peer.actor.ap_id}/notes/1",
        "type": "Note",
        "attributedTo": peer.actor.ap_id,
        "content": (
            '<p>Hi <a href="https://x.example" onclick="steal()">there</a>'
            "<script>alert(1)</script></p>"
        ),
        "to": [PUBLIC],
        "tag": [{"type": "Mention", "href": kim.ap_id, "name": "@kim"}],
    }
    await deliver(sessions, db, ap_settings, peer, peer.activity("Create", note, to=[PUBLIC]))
    stored = await db.scalar(select(ApObject).where(ApObject.ap_id == note["id"]))
    assert stored is not None and stored.visibility == "public"
    assert "<script" not in stored.content_html and "onclick" not in stored.content_html
    assert "there</a>" in stored.content_html
    assert await db.scalar(select(TimelineEntry).where(TimelineEntry.user_id == user.id))
    assert (
        await db.scalar(select(Notification.kind).where(Notification.user_id == user.id))
        == "mention"
    )


async def test_a_note_from_another_origin_is_ignored(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    ap_settings: Settings,
    make_peer: MakePeer,
) -> None:
    peer = await make_peer()
    forged = {
        "id": "https://elsewhere.example/notes/1",
        "type": "Note",
        "content": "x",
        "to": [PUBLIC],
    }
    await deliver(sessions, db, ap_settings, peer, peer.activity("Create", forged))
    assert await db.scalar(select(ApObject).where(ApObject.ap_id == forged["id"])) is None


async def test_update_edits_and_delete_tombstones_a_note_even_when_delete_comes_first(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    ap_settings: Settings,
    make_peer: MakePeer,
) -> None:
    peer = await make_peer()
    await follow_from_here(db, ap_settings, peer)
    note = {
        "id": f"{peer.actor.ap_id}/notes/9",
        "type": "Note",
        "content": "<p>v1</p>",
        "to": [PUBLIC],
    }
    await deliver(sessions, db, ap_settings, peer, peer.activity("Create", note))
    edited = {**note, "content": "<p>v2</p>", "updated": "2026-01-02T03:04:05Z"}
    await deliver(sessions, db, ap_settings, peer, peer.activity("Update", edited))
    stored = await db.scalar(select(ApObject).where(ApObject.ap_id == note["id"]))
    assert stored is not None and stored.content_html == "<p>v2</p>"
    await deliver(
        sessions,
        db,
        ap_settings,
        peer,
        peer.activity("Delete", {"id": note["id"], "type": "Tombstone"}),
    )
    stored = await db.scalar(select(ApObject).where(ApObject.ap_id == note["id"]))
    assert stored is not None and stored.deleted_at is not None and stored.content_html == ""
    # Delete before Create: the late Create does not bring it back.
    late = {"id": f"{peer.actor.ap_id}/notes/10", "type": "Note", "content": "boo", "to": [PUBLIC]}
    await deliver(sessions, db, ap_settings, peer, peer.activity("Delete", late["id"]))
    await deliver(sessions, db, ap_settings, peer, peer.activity("Create", late))
    ghost = await db.scalar(select(ApObject).where(ApObject.ap_id == late["id"]))
    assert ghost is not None and ghost.deleted_at is not None


async def test_likes_and_boosts_of_a_members_note_notify_them(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    ap_settings: Settings,
    make_peer: MakePeer,
) -> None:
    user = await make_user(db, "lee")
    lee = await member_actor(db, ap_settings, "lee")
    assert lee is not None
    note = ApObject(
        ap_id=f"{lee.ap_id}/notes/1", type="Note", actor_id=lee.id, is_local=True, content_html="hi"
    )
    db.add(note)
    await db.flush()
    peer = await make_peer()
    await deliver(sessions, db, ap_settings, peer, peer.activity("Like", note.ap_id))
    await deliver(
        sessions, db, ap_settings, peer, peer.activity("Announce", note.ap_id, to=[PUBLIC])
    )
    kinds = set(await db.scalars(select(Notification.kind).where(Notification.user_id == user.id)))
    assert kinds == {"like", "boost"}


async def test_an_actor_delete_removes_its_follows(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    ap_settings: Settings,
    make_peer: MakePeer,
) -> None:
    blog = await app_actor(db, ap_settings, "blog")
    peer = await make_peer()
    await deliver(sessions, db, ap_settings, peer, peer.activity("Follow", blog.ap_id), blog)
    await deliver(sessions, db, ap_settings, peer, peer.activity("Delete", peer.actor.ap_id))
    assert await db.scalar(select(Follow).where(Follow.following_id == blog.id)) is None
    gone = await db.get(Actor, peer.actor.id)
    assert gone is not None and gone.deleted_at is not None


@pytest.mark.parametrize("kind", ["Block", "Move", "Flag"])
async def test_activities_we_do_not_handle_are_stored_and_marked_done(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    ap_settings: Settings,
    make_peer: MakePeer,
    kind: str,
) -> None:
    peer = await make_peer()
    assert (
        await deliver(sessions, db, ap_settings, peer, peer.activity(kind, "https://x.example/y"))
        == "done"
    )


async def test_a_post_nobody_here_follows_or_is_addressed_by_is_not_stored(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    ap_settings: Settings,
    make_peer: MakePeer,
) -> None:
    stranger = await make_peer()
    note = {"id": f"{stranger.actor.ap_id}/notes/1", "type": "Note", "to": [PUBLIC]}
    assert await deliver(sessions, db, ap_settings, stranger, stranger.activity("Create", note))
    assert await db.scalar(select(ApObject).where(ApObject.ap_id == note["id"])) is None
    # Addressed to a member here (no follow): kept, and the member can see it.
    await make_user(db, "lee")
    lee = await member_actor(db, ap_settings, "lee")
    assert lee is not None
    direct = {"id": f"{stranger.actor.ap_id}/notes/2", "type": "Note", "to": [lee.ap_id]}
    await deliver(sessions, db, ap_settings, stranger, stranger.activity("Create", direct))
    kept = await db.scalar(select(ApObject).where(ApObject.ap_id == direct["id"]))
    assert kept is not None and kept.visibility == "direct"


async def test_repeated_follows_make_one_notification(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    ap_settings: Settings,
    make_peer: MakePeer,
) -> None:
    user = await make_user(db, "ola")
    ola = await member_actor(db, ap_settings, "ola")
    assert ola is not None
    peer = await make_peer()
    for _ in range(3):  # three Follows, each with a new id, as a flood would send them
        await deliver(sessions, db, ap_settings, peer, peer.activity("Follow", ola.ap_id), ola)
    undo = peer.activity("Undo", {"type": "Follow", "actor": peer.actor.ap_id, "object": ola.ap_id})
    await deliver(sessions, db, ap_settings, peer, undo, ola)
    await deliver(sessions, db, ap_settings, peer, peer.activity("Follow", ola.ap_id), ola)
    kinds = list(await db.scalars(select(Notification.kind).where(Notification.user_id == user.id)))
    assert kinds == ["follow"]


async def test_the_same_activity_id_from_two_actors_is_kept_for_each(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    ap_settings: Settings,
    make_peer: MakePeer,
) -> None:
    # Two accounts of one host (the id check lets both claim ids there): the first to
    # use an id must not make the other's activity a "redelivery".
    mallory, victim = await make_peer(), await make_peer()
    await follow_from_here(db, ap_settings, victim)
    note = {"id": f"{victim.actor.ap_id}/notes/1", "type": "Note", "to": [PUBLIC]}
    await deliver(sessions, db, ap_settings, victim, victim.activity("Create", note))
    delete_id = f"{note['id']}#delete"
    pre_empted = {**mallory.activity("Delete", note["id"]), "id": delete_id}
    assert await store_inbound(db, mallory.actor, None, pre_empted) is not None
    real = {**victim.activity("Delete", note["id"]), "id": delete_id}
    assert await deliver(sessions, db, ap_settings, victim, real) == "done"
    stored = await db.scalar(select(ApObject).where(ApObject.ap_id == note["id"]))
    assert stored is not None and stored.deleted_at is not None
