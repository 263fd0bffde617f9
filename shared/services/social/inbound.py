"""What each inbound activity does. Every handler is idempotent: redelivery changes nothing.

Handlers run after the signature was verified and the signer found to be the
activity's actor; they still check that objects come from the sender's
origin before touching them. Remote HTML is sanitized before it is stored.
The transport (`shared.infrastructure.activitypub.inbox`) claims the stored
row and calls `apply` through the social service, in the transaction that
marks the row done.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.infrastructure.activitypub.actors import INSTANCE, PUBLIC, local_actor_by_id
from shared.infrastructure.activitypub.outbox import enqueue_activity
from shared.infrastructure.activitypub.remote import RemoteActorError, first_id
from shared.infrastructure.config import Settings
from shared.infrastructure.html import sanitize_html
from shared.models.activitypub import (
    AccountBlock,
    Actor,
    ActorKind,
    ApObject,
    BlockKind,
    Follow,
    FollowState,
    Notification,
    NotificationKind,
    ObjectTag,
    Reaction,
    ReactionKind,
    TimelineEntry,
    Visibility,
)
from shared.services.social.notify import notify

log = logging.getLogger(__name__)
OBJECT_TYPES = frozenset({"Note", "Article", "Page", "Question", "Event", "Image", "Video"})


@dataclass
class Context:
    """What a handler works with: one transaction, no network (see `prefetch.py`)."""

    session: AsyncSession
    settings: Settings
    sender: Actor
    activity: dict[str, Any]


Handler = Callable[[Context], Awaitable[None]]


def same_origin(a: str | None, b: str | None) -> bool:
    return bool(a and b) and urlsplit(a).netloc == urlsplit(b).netloc  # type: ignore[arg-type]


def as_object(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


async def _blocked_by(session: AsyncSession, target: Actor, sender: Actor) -> bool:
    if target.user_id is None:
        return False
    found = await session.scalar(
        select(AccountBlock.id).where(
            AccountBlock.user_id == target.user_id,
            AccountBlock.actor_id == sender.id,
            AccountBlock.kind == BlockKind.BLOCK,
        )
    )
    return found is not None


async def handle_follow(ctx: Context) -> None:
    target = await local_actor_by_id(ctx.session, first_id(ctx.activity.get("object")) or "")
    if target is None or target.app_name == INSTANCE:
        return
    original = {k: v for k, v in ctx.activity.items() if k not in ("@context", "signature")}
    if await _blocked_by(ctx.session, target, ctx.sender):
        await enqueue_activity(
            ctx.session, target, {"type": "Reject", "object": original, "to": [ctx.sender.ap_id]}
        )
        return
    follow_id = str(ctx.activity["id"])
    existing = await ctx.session.scalar(
        select(Follow.status).where(
            Follow.follower_id == ctx.sender.id, Follow.following_id == target.id
        )
    )
    # A member who approves followers by hand gets a request; one already accepted stays.
    status = (
        FollowState.PENDING
        if target.manually_approves_followers and existing != FollowState.ACCEPTED
        else FollowState.ACCEPTED
    )
    statement = insert(Follow).values(
        follower_id=ctx.sender.id,
        following_id=target.id,
        status=status,
        follow_activity_id=follow_id,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[Follow.follower_id, Follow.following_id],
        set_={"status": status, "follow_activity_id": follow_id},
    )
    await ctx.session.execute(statement)
    if status == FollowState.ACCEPTED:
        # The Accept embeds the Follow exactly as it came, id included: Mastodon and
        # bovine match on it, and reject a rebuilt one.
        await enqueue_activity(
            ctx.session,
            target,
            {"type": "Accept", "object": original, "to": [ctx.sender.ap_id]},
        )
    kind = (
        NotificationKind.FOLLOW
        if status == FollowState.ACCEPTED
        else NotificationKind.FOLLOW_REQUEST
    )
    # A repeated Follow (a retry, a new id, or an unfollow and back while the first is
    # unread) is one notification, not one per request.
    if target.user_id is not None and existing != FollowState.ACCEPTED:
        unread = await ctx.session.scalar(
            select(Notification.id).where(
                Notification.user_id == target.user_id,
                Notification.kind == kind,
                Notification.actor_id == ctx.sender.id,
                Notification.read_at.is_(None),
            )
        )
        if unread is None:
            await _notify(ctx.session, target.user_id, kind, ctx.sender.id, None)


async def _find_follow(session: AsyncSession, follow: Any, follower: Actor | None) -> Follow | None:
    follow_id = first_id(follow)
    clauses = [Follow.follow_activity_id == follow_id] if follow_id else []
    embedded = as_object(follow)
    if embedded and follower is None:
        local = await local_actor_by_id(session, first_id(embedded.get("actor")) or "")
        target_id = first_id(embedded.get("object"))
        if local is not None and target_id:
            remote = await session.scalar(select(Actor.id).where(Actor.ap_id == target_id))
            clauses.append((Follow.follower_id == local.id) & (Follow.following_id == remote))
    if embedded and follower is not None:
        target = await local_actor_by_id(session, first_id(embedded.get("object")) or "")
        if target is not None:
            clauses.append((Follow.follower_id == follower.id) & (Follow.following_id == target.id))
    if not clauses:
        return None
    return await session.scalar(select(Follow).where(or_(*clauses)))


async def handle_undo(ctx: Context) -> None:
    undone = ctx.activity.get("object")
    kind = as_object(undone) and undone.get("type")  # type: ignore[union-attr]
    if kind in (None, "Follow"):
        follow = await _find_follow(ctx.session, undone, ctx.sender)
        if follow is not None and follow.follower_id == ctx.sender.id:
            await ctx.session.delete(follow)
            return
    undone_id = first_id(undone)
    target = first_id(undone.get("object")) if isinstance(undone, dict) else None
    stored = await ctx.session.scalar(select(ApObject.id).where(ApObject.ap_id == target))
    # A Like or Announce undone, named by its activity id or embedded with its object.
    reaction = Reaction.actor_id == ctx.sender.id
    by_activity = Reaction.activity_ap_id == undone_id
    kinds = {"Like": ReactionKind.LIKE, "Announce": ReactionKind.ANNOUNCE}
    if kind in kinds and stored is not None:
        await ctx.session.execute(
            delete(Reaction).where(
                reaction,
                or_(by_activity, (Reaction.object_id == stored) & (Reaction.kind == kinds[kind])),
            )
        )
    elif undone_id:
        await ctx.session.execute(delete(Reaction).where(reaction, by_activity))
    if kind == "Announce":
        await ctx.session.execute(
            delete(TimelineEntry).where(
                TimelineEntry.object_id == stored, TimelineEntry.boosted_by_id == ctx.sender.id
            )
        )


async def _answer_follow(ctx: Context, status: FollowState) -> None:
    follow = await _find_follow(ctx.session, ctx.activity.get("object"), None)
    # Only the followed actor may accept or reject.
    if follow is not None and follow.following_id == ctx.sender.id:
        follow.status = status


async def handle_accept(ctx: Context) -> None:
    await _answer_follow(ctx, FollowState.ACCEPTED)


async def handle_reject(ctx: Context) -> None:
    await _answer_follow(ctx, FollowState.REJECTED)


def _visibility(document: dict[str, Any], sender: Actor) -> Visibility:
    to = document.get("to") or []
    cc = document.get("cc") or []
    to, cc = (to if isinstance(to, list) else [to]), (cc if isinstance(cc, list) else [cc])
    if PUBLIC in to or "as:Public" in to:
        return Visibility.PUBLIC
    if PUBLIC in cc or "as:Public" in cc:
        return Visibility.UNLISTED
    return Visibility.FOLLOWERS if sender.followers_url in to else Visibility.DIRECT


async def store_object(ctx: Context, document: dict[str, Any]) -> ApObject | None:
    object_id = first_id(document)
    if not object_id or not same_origin(object_id, ctx.sender.ap_id):
        log.info("ignoring %s from %s: another origin", object_id, ctx.sender.ap_id)
        return None
    stored = await ctx.session.scalar(select(ApObject).where(ApObject.ap_id == object_id))
    if stored is not None and stored.deleted_at is not None:
        return None  # deleted before (or after) it arrived: stays deleted
    if stored is not None and stored.is_local:
        return stored  # our own (its inbound copy, for local recipients): ours is the truth
    if stored is None:
        stored = ApObject(ap_id=object_id, actor_id=ctx.sender.id, is_local=False)
        ctx.session.add(stored)
    elif stored.actor_id != ctx.sender.id:
        return None
    stored.type = str(document.get("type"))[:30]
    stored.content_html = sanitize_html(str(document.get("content") or ""))
    summary = document.get("summary")
    stored.summary = sanitize_html(summary) if isinstance(summary, str) else None
    stored.url = (first_id(document.get("url")) or "")[:2048] or None
    stored.in_reply_to = first_id(document.get("inReplyTo"))
    stored.visibility = _visibility(document, ctx.sender)
    stored.payload = {k: v for k, v in document.items() if k not in ("content", "contentMap")}
    if document.get("published"):
        stored.published_at = _parse_time(document["published"]) or datetime.now(UTC)
    if document.get("updated"):
        stored.updated_at = _parse_time(document["updated"])
    stored.attachments = _attachments(document)
    languages = document.get("contentMap")
    stored.language = (
        str(next(iter(languages)))[:16] if isinstance(languages, dict) and languages else None
    )
    await ctx.session.flush()
    await ctx.session.execute(delete(ObjectTag).where(ObjectTag.object_id == stored.id))
    tags = _hashtags(document)
    if tags:
        await ctx.session.execute(
            insert(ObjectTag).values([{"object_id": stored.id, "tag": t} for t in tags])
        )
    return stored


def _attachments(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Images and their alt text, http(s) URLs only, four at most (as Mastodon shows)."""
    found = []
    items = document.get("attachment")
    for item in (items if isinstance(items, list) else [items])[:4]:
        if not isinstance(item, dict):
            continue
        url = first_id(item.get("url"))
        media = str(item.get("mediaType") or "")
        if not url or not url.startswith(("https://", "http://")):
            continue
        if media and not media.startswith("image/"):
            continue
        found.append(
            {
                "url": url[:2048],
                "alt": str(item.get("name") or "")[:1500],
                "media_type": media or "image/jpeg",
                "width": item.get("width") if isinstance(item.get("width"), int) else None,
                "height": item.get("height") if isinstance(item.get("height"), int) else None,
            }
        )
    return found


def _hashtags(document: dict[str, Any]) -> list[str]:
    tags = document.get("tag")
    names = []
    for tag in (tags if isinstance(tags, list) else [])[:50]:
        if isinstance(tag, dict) and tag.get("type") == "Hashtag":
            name = str(tag.get("name") or "").lstrip("#").lower()[:100]
            if name and re.fullmatch(r"\w+", name) and name not in names:
                names.append(name)
    return names


def _parse_time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


async def _follower_users(session: AsyncSession, actor: Actor) -> list[int]:
    rows = await session.scalars(
        select(Actor.user_id)
        .join(Follow, Follow.follower_id == Actor.id)
        .where(
            Follow.following_id == actor.id,
            Follow.status == FollowState.ACCEPTED,
            Actor.user_id.is_not(None),
        )
    )
    return [user_id for user_id in rows if user_id is not None]


async def _timeline(session: AsyncSession, users: list[int], obj: ApObject, by: int | None) -> None:
    if users:
        rows = [{"user_id": u, "object_id": obj.id, "boosted_by_id": by} for u in users]
        await session.execute(insert(TimelineEntry).values(rows).on_conflict_do_nothing())


async def _notify(
    session: AsyncSession, user_id: int, kind: str, actor_id: int, object_id: int | None
) -> None:
    await notify(session, user_id, kind, actor_id, object_id)


async def _local_author(session: AsyncSession, object_ap_id: str | None) -> ApObject | None:
    if not object_ap_id:
        return None
    return await session.scalar(
        select(ApObject).where(ApObject.ap_id == object_ap_id, ApObject.is_local.is_(True))
    )


async def has_local_followers(session: AsyncSession, actor: Actor) -> bool:
    return bool(
        await session.scalar(
            select(Follow.id)
            .join(Actor, Actor.id == Follow.follower_id)
            .where(
                Follow.following_id == actor.id,
                Follow.status == FollowState.ACCEPTED,
                Actor.kind != ActorKind.REMOTE,
            )
            .limit(1)
        )
    )


def _addressees(document: dict[str, Any], activity: dict[str, Any]) -> set[str]:
    """Who the object is for: to, cc, bto, bcc and audience (of either), and mentions."""
    found: set[str] = set()
    for source in (document, activity):
        for name in ("to", "cc", "bto", "bcc", "audience"):
            value = source.get(name)
            for item in (value if isinstance(value, list) else [value])[:100]:
                if (ref := first_id(item)) is not None:
                    found.add(ref[:2048])
    tags = document.get("tag")
    for tag in (tags if isinstance(tags, list) else [])[:100]:
        ref = first_id(tag.get("href")) if isinstance(tag, dict) else None
        if ref is not None and tag.get("type") == "Mention":
            found.add(ref[:2048])
    return found


async def _concerns_us(ctx: Context, document: dict[str, Any]) -> bool:
    """Someone here follows the author, is addressed or mentioned, or is replied to:
    otherwise a signed stranger could fill our database with posts nobody reads."""
    if await has_local_followers(ctx.session, ctx.sender):
        return True
    addressed = _addressees(document, ctx.activity)
    if addressed and await ctx.session.scalar(
        select(Actor.id).where(Actor.ap_id.in_(addressed), Actor.kind != ActorKind.REMOTE).limit(1)
    ):
        return True
    return await _local_author(ctx.session, first_id(document.get("inReplyTo"))) is not None


async def handle_create(ctx: Context) -> None:
    document = as_object(ctx.activity.get("object"))
    if document is None or document.get("type") not in OBJECT_TYPES:
        return
    if not await _concerns_us(ctx, document):
        log.info("ignoring %s: nobody here follows or is addressed", first_id(document))
        return
    is_new = not await ctx.session.scalar(
        select(ApObject.id).where(ApObject.ap_id == first_id(document))
    )
    stored = await store_object(ctx, document)
    if stored is None or not is_new:
        return
    if stored.visibility != Visibility.DIRECT:
        await _timeline(ctx.session, await _follower_users(ctx.session, ctx.sender), stored, None)
    parent = await _local_author(ctx.session, stored.in_reply_to)
    if parent is not None and parent.actor.user_id is not None:
        await _notify(
            ctx.session, parent.actor.user_id, NotificationKind.REPLY, ctx.sender.id, stored.id
        )
    for tag in document.get("tag") or []:
        if isinstance(tag, dict) and tag.get("type") == "Mention":
            mentioned = await local_actor_by_id(ctx.session, first_id(tag.get("href")) or "")
            if mentioned is not None and mentioned.user_id is not None:
                await _notify(
                    ctx.session,
                    mentioned.user_id,
                    NotificationKind.MENTION,
                    ctx.sender.id,
                    stored.id,
                )


async def handle_update(ctx: Context) -> None:
    document = as_object(ctx.activity.get("object"))
    if document is None:
        return
    if first_id(document) == ctx.sender.ap_id:
        return  # the actor's own document was refetched by `prefetch_update`
    if document.get("type") in OBJECT_TYPES:
        exists = await ctx.session.scalar(
            select(ApObject.id).where(ApObject.ap_id == first_id(document))
        )
        if exists:
            await store_object(ctx, document)


async def handle_delete(ctx: Context) -> None:
    target = first_id(ctx.activity.get("object"))
    if not target or not same_origin(target, ctx.sender.ap_id):
        return
    now = datetime.now(UTC)
    if target == ctx.sender.ap_id:
        ctx.sender.deleted_at = now
        await ctx.session.execute(
            delete(Follow).where(
                or_(Follow.follower_id == ctx.sender.id, Follow.following_id == ctx.sender.id)
            )
        )
        await ctx.session.execute(
            update(ApObject)
            .where(ApObject.actor_id == ctx.sender.id, ApObject.deleted_at.is_(None))
            .values(deleted_at=now, content_html="")
        )
        return
    stored = await ctx.session.scalar(select(ApObject).where(ApObject.ap_id == target))
    if stored is None:  # Delete before Create: keep a tombstone so a late Create stays out
        ctx.session.add(
            ApObject(ap_id=target, type="Tombstone", actor_id=ctx.sender.id, deleted_at=now)
        )
    elif stored.actor_id == ctx.sender.id:
        stored.deleted_at, stored.content_html = now, ""
        await ctx.session.execute(delete(TimelineEntry).where(TimelineEntry.object_id == stored.id))


async def _react(ctx: Context, kind: ReactionKind, obj: ApObject) -> bool:
    """Record the sender's reaction; whether it is new (a redelivery is not)."""
    added = await ctx.session.scalar(
        insert(Reaction)
        .values(
            kind=kind, actor_id=ctx.sender.id, object_id=obj.id, activity_ap_id=ctx.activity["id"]
        )
        .on_conflict_do_nothing()
        .returning(Reaction.id)
    )
    return added is not None


async def handle_like(ctx: Context) -> None:
    liked = await _local_author(ctx.session, first_id(ctx.activity.get("object")))
    if liked is not None and await _react(ctx, ReactionKind.LIKE, liked) and liked.actor.user_id:
        await _notify(
            ctx.session, liked.actor.user_id, NotificationKind.LIKE, ctx.sender.id, liked.id
        )


async def handle_announce(ctx: Context) -> None:
    object_id = first_id(ctx.activity.get("object"))
    local = await _local_author(ctx.session, object_id)
    if local is not None:
        new = await _react(ctx, ReactionKind.ANNOUNCE, local)
        if new and local.actor.user_id is not None:
            await _notify(
                ctx.session, local.actor.user_id, NotificationKind.BOOST, ctx.sender.id, local.id
            )
        await _timeline(
            ctx.session, await _follower_users(ctx.session, ctx.sender), local, ctx.sender.id
        )
        return
    stored = await ctx.session.scalar(select(ApObject).where(ApObject.ap_id == object_id))
    if stored is not None and stored.deleted_at is None and stored.visibility == Visibility.PUBLIC:
        await _timeline(
            ctx.session, await _follower_users(ctx.session, ctx.sender), stored, ctx.sender.id
        )


async def handle_block(ctx: Context) -> None:
    """A remote account blocked one of ours: the follows between them end (Mastodon does
    the same on its side); nothing tells our member."""
    target = await local_actor_by_id(ctx.session, first_id(ctx.activity.get("object")) or "")
    if target is None:
        return
    await ctx.session.execute(
        delete(Follow).where(
            or_(
                (Follow.follower_id == ctx.sender.id) & (Follow.following_id == target.id),
                (Follow.follower_id == target.id) & (Follow.following_id == ctx.sender.id),
            )
        )
    )


HANDLERS: dict[str, Handler] = {
    "Follow": handle_follow,
    "Undo": handle_undo,
    "Accept": handle_accept,
    "Reject": handle_reject,
    "Create": handle_create,
    "Update": handle_update,
    "Delete": handle_delete,
    "Like": handle_like,
    "Announce": handle_announce,
    "Block": handle_block,
}


async def apply(
    session: AsyncSession, settings: Settings, sender_ap_id: str, activity: dict[str, Any]
) -> None:
    """Apply one verified activity of the (cached) actor `sender_ap_id`, in `session`'s
    transaction; activities of a type we do not handle change nothing."""
    handler = HANDLERS.get(str(activity.get("type")))
    if handler is None:
        return
    sender = await session.scalar(
        select(Actor).where(Actor.ap_id == sender_ap_id).execution_options(populate_existing=True)
    )
    if sender is None:
        raise LookupError(f"no cached actor {sender_ap_id}")
    await handler(Context(session, settings, sender, activity))


__all__ = ["HANDLERS", "Context", "RemoteActorError", "apply"]
