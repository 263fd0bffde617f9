"""Moderation: a member mutes or blocks an account, or reports it; an admin blocks a
whole server.

A mute hides the account from the member's timelines and notifications and tells
nobody. A block does that, ends the follows both ways and sends a `Block` (Mastodon
then hides the member from them too). A report sends a `Flag` from the instance actor
to the account's server, for its admins. A domain block refuses the server's inbox
POSTs and purges what we hold of it: its actors' follows, posts, timeline entries and
notifications.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.social import DomainBlockRecord, NotVisible, Relationship, SocialError
from shared.infrastructure.activitypub.actors import INSTANCE, app_actor
from shared.infrastructure.activitypub.outbox import enqueue_activity
from shared.infrastructure.config import Settings
from shared.models.activitypub import (
    AccountBlock,
    Actor,
    ActorKind,
    ApObject,
    BlockKind,
    DomainBlock,
    Follow,
    Notification,
    Reaction,
    Report,
    TimelineEntry,
)
from shared.services.social import follows


async def _pair(session: AsyncSession, member_id: int, account_id: int) -> tuple[Actor, Actor]:
    member = await session.scalar(
        select(Actor).where(Actor.user_id == member_id, Actor.kind == ActorKind.MEMBER)
    )
    if member is None:
        raise SocialError("You have no social account yet", 403)
    target = await session.get(Actor, account_id)
    if target is None or target.deleted_at is not None:
        raise NotVisible()
    if target.id == member.id:
        raise SocialError("You cannot do that to yourself")
    return member, target


async def _hide(session: AsyncSession, member_id: int, target: Actor) -> None:
    """What the member already has of the account goes from their timeline and
    notifications (what arrives later is filtered when read)."""
    await session.execute(
        delete(TimelineEntry).where(
            TimelineEntry.user_id == member_id,
            or_(
                TimelineEntry.boosted_by_id == target.id,
                TimelineEntry.object_id.in_(
                    select(ApObject.id).where(ApObject.actor_id == target.id)
                ),
            ),
        )
    )
    await session.execute(
        delete(Notification).where(
            Notification.user_id == member_id, Notification.actor_id == target.id
        )
    )


async def mute(session: AsyncSession, member_id: int, account_id: int) -> Relationship:
    _, target = await _pair(session, member_id, account_id)
    await session.execute(
        insert(AccountBlock)
        .values(user_id=member_id, actor_id=target.id, kind=BlockKind.MUTE)
        .on_conflict_do_nothing()
    )
    await _hide(session, member_id, target)
    return await follows.relationship(session, member_id, account_id)


async def unmute(session: AsyncSession, member_id: int, account_id: int) -> Relationship:
    await _pair(session, member_id, account_id)
    await session.execute(
        delete(AccountBlock).where(
            AccountBlock.user_id == member_id,
            AccountBlock.actor_id == account_id,
            AccountBlock.kind == BlockKind.MUTE,
        )
    )
    return await follows.relationship(session, member_id, account_id)


async def block(session: AsyncSession, member_id: int, account_id: int) -> Relationship:
    member, target = await _pair(session, member_id, account_id)
    added = await session.scalar(
        insert(AccountBlock)
        .values(user_id=member_id, actor_id=target.id, kind=BlockKind.BLOCK)
        .on_conflict_do_nothing()
        .returning(AccountBlock.id)
    )
    await follows.end_follow(session, member, target)
    # Their follow of the member ends too (Mastodon's block removes it without a Reject).
    await session.execute(
        delete(Follow).where(Follow.follower_id == target.id, Follow.following_id == member.id)
    )
    await _hide(session, member_id, target)
    if added is not None and target.kind == ActorKind.REMOTE:
        await enqueue_activity(
            session, member, {"type": "Block", "object": target.ap_id, "to": [target.ap_id]}
        )
    return await follows.relationship(session, member_id, account_id)


async def unblock(session: AsyncSession, member_id: int, account_id: int) -> Relationship:
    member, target = await _pair(session, member_id, account_id)
    removed = await session.scalar(
        delete(AccountBlock)
        .where(
            AccountBlock.user_id == member_id,
            AccountBlock.actor_id == account_id,
            AccountBlock.kind == BlockKind.BLOCK,
        )
        .returning(AccountBlock.id)
    )
    if removed is not None and target.kind == ActorKind.REMOTE:
        undone = {"type": "Block", "actor": member.ap_id, "object": target.ap_id}
        await enqueue_activity(
            session, member, {"type": "Undo", "object": undone, "to": [target.ap_id]}
        )
    return await follows.relationship(session, member_id, account_id)


async def report(
    session: AsyncSession,
    settings: Settings,
    member_id: int,
    account_id: int,
    status_ids: list[int],
    comment: str,
) -> int:
    """Record the member's report; a Flag goes to a remote account's server. The report's
    id. The statuses must be the account's own."""
    _, target = await _pair(session, member_id, account_id)
    if len(comment) > 1000:
        raise SocialError("Validation failed: Comment is longer than 1000 characters")
    objects = list(
        await session.scalars(
            select(ApObject.ap_id).where(
                ApObject.id.in_(status_ids or [0]), ApObject.actor_id == target.id
            )
        )
    )
    if status_ids and len(objects) != len(set(status_ids)):
        raise SocialError("Validation failed: a reported status is not this account's", 422)
    row = Report(reporter_id=member_id, actor_id=target.id, object_ap_ids=objects, comment=comment)
    session.add(row)
    await session.flush()
    if target.kind == ActorKind.REMOTE:
        # From the instance, not the member: the remote admins need not learn who reported.
        instance = await app_actor(session, settings, INSTANCE)
        flag = await enqueue_activity(
            session,
            instance,
            {
                "type": "Flag",
                "object": [target.ap_id, *objects],
                "content": comment,
                "to": [target.ap_id],
            },
        )
        row.activity_ap_id = flag.ap_id
    return row.id


def _domain(value: str) -> str:
    """A server name as blocks keep it: lower case, no scheme, no port (a block covers
    every port of the host, and every host under the domain)."""
    domain = value.strip().lower().removeprefix("https://").removeprefix("http://").strip("/")
    domain = domain.rsplit(":", 1)[0] if domain.count(":") == 1 else domain
    if not domain or "/" in domain or " " in domain or len(domain) > 255:
        raise SocialError(f"{value!r} is not a server name like example.social")
    return domain


async def block_domain(session: AsyncSession, settings: Settings, domain: str, reason: str) -> int:
    """Block a server; how many of its actors' posts were purged."""
    host = _domain(domain)
    ours = {a.base_url.split("://", 1)[1].split("/", 1)[0] for a in settings.apps.values()}
    if host in ours:
        raise SocialError("That is this server")
    await session.execute(
        insert(DomainBlock)
        .values(domain=host, reason=reason[:1000])
        .on_conflict_do_update(index_elements=[DomainBlock.domain], set_={"reason": reason[:1000]})
    )
    theirs = select(Actor.id).where(
        Actor.kind == ActorKind.REMOTE,
        or_(
            *(
                func.lower(Actor.domain).like(pattern)
                for pattern in (host, f"{host}:%", f"%.{host}", f"%.{host}:%")
            )
        ),
    )
    await session.execute(
        delete(Follow).where(or_(Follow.follower_id.in_(theirs), Follow.following_id.in_(theirs)))
    )
    await session.execute(delete(Notification).where(Notification.actor_id.in_(theirs)))
    await session.execute(delete(Reaction).where(Reaction.actor_id.in_(theirs)))
    await session.execute(delete(TimelineEntry).where(TimelineEntry.boosted_by_id.in_(theirs)))
    purged = await session.execute(
        update(ApObject)
        .where(ApObject.actor_id.in_(theirs), ApObject.deleted_at.is_(None))
        .values(deleted_at=datetime.now(UTC), content_html="", attachments=[])
        .returning(ApObject.id)
    )
    ids = list(purged.scalars())
    if ids:
        await session.execute(delete(TimelineEntry).where(TimelineEntry.object_id.in_(ids)))
    return len(ids)


async def unblock_domain(session: AsyncSession, domain: str) -> bool:
    removed = await session.scalar(
        delete(DomainBlock).where(DomainBlock.domain == _domain(domain)).returning(DomainBlock.id)
    )
    return removed is not None


async def list_domain_blocks(session: AsyncSession) -> list[DomainBlockRecord]:
    rows = await session.scalars(select(DomainBlock).order_by(DomainBlock.domain))
    return [DomainBlockRecord(r.domain, r.reason, r.created_at) for r in rows]


async def is_domain_blocked(session: AsyncSession, host: str) -> bool:
    """Whether `host` (a port is ignored) or a domain above it is blocked."""
    try:
        name = _domain(host)
    except SocialError:
        return False
    parts = name.split(".")
    candidates = [".".join(parts[i:]) for i in range(len(parts))]
    found = await session.scalar(select(DomainBlock.id).where(DomainBlock.domain.in_(candidates)))
    return found is not None
