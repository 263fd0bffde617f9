"""Follows: a member following a remote actor, and who follows or is followed by ours."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from shared.contracts.dtos import FollowRecord
from shared.contracts.errors import FederationError
from shared.contracts.events import MemberProfileChanged, record
from shared.contracts.social import FollowRequest, NotVisible, Relationship, SocialError
from shared.infrastructure.activitypub.http import FederationClient
from shared.infrastructure.activitypub.outbox import enqueue_activity
from shared.infrastructure.activitypub.remote import RemoteActorError, RemoteActors
from shared.infrastructure.config import Settings
from shared.models.activitypub import (
    AccountBlock,
    Activity,
    Actor,
    ActorKind,
    BlockKind,
    Direction,
    Follow,
    FollowState,
    Notification,
    NotificationKind,
)
from shared.services.social.accounts import records
from shared.services.social.actors import member_actor_row
from shared.services.social.notify import notify


def _record(follow: Follow) -> FollowRecord:
    return FollowRecord(
        follow.follower.ap_id, follow.following.ap_id, follow.status, follow.follow_activity_id
    )


async def follow(
    session: AsyncSession,
    settings: Settings,
    client: FederationClient,
    *,
    username: str,
    target: str,
) -> FollowRecord:
    member = await member_actor_row(session, username)
    if member is None:
        raise FederationError(f"no member {username} with an actor")
    try:
        remote = await RemoteActors(session, settings, client).actor(target)
    except RemoteActorError as exc:
        raise FederationError(str(exc)) from None
    return _record(await _follow_actor(session, member, remote))


async def _follow_actor(session: AsyncSession, member: Actor, target: Actor) -> Follow:
    """The member follows `target`: pending with a Follow sent for a remote actor;
    for one of ours, accepted at once (or a request, for a member who approves by
    hand), with the notification it makes."""
    if target.id == member.id:
        raise SocialError("You cannot follow yourself")
    existing = await session.scalar(
        select(Follow).where(Follow.follower_id == member.id, Follow.following_id == target.id)
    )
    if existing is not None and existing.status == FollowState.ACCEPTED:
        return existing
    if existing is None:
        existing = Follow(follower_id=member.id, following_id=target.id)
        session.add(existing)
    if target.kind == ActorKind.REMOTE:
        activity = await enqueue_activity(
            session, member, {"type": "Follow", "object": target.ap_id, "to": [target.ap_id]}
        )
        existing.status, existing.follow_activity_id = FollowState.PENDING, activity.ap_id
    else:
        locked = target.manually_approves_followers
        existing.status = FollowState.PENDING if locked else FollowState.ACCEPTED
        if target.user_id is not None:
            kind = NotificationKind.FOLLOW_REQUEST if locked else NotificationKind.FOLLOW
            await notify(session, target.user_id, kind, member.id)
    await session.flush()
    await session.refresh(existing)
    return existing


async def _member(session: AsyncSession, member_id: int) -> Actor:
    actor = await session.scalar(
        select(Actor).where(Actor.user_id == member_id, Actor.kind == ActorKind.MEMBER)
    )
    if actor is None:
        raise SocialError("You have no social account yet", 403)
    return actor


async def _target(session: AsyncSession, account_id: int) -> Actor:
    target = await session.get(Actor, account_id)
    if target is None or target.deleted_at is not None:
        raise NotVisible()
    return target


async def follow_account(session: AsyncSession, member_id: int, account_id: int) -> Relationship:
    member = await _member(session, member_id)
    target = await _target(session, account_id)
    blocked = await session.scalar(
        select(AccountBlock.id).where(
            AccountBlock.user_id == member_id,
            AccountBlock.actor_id == target.id,
            AccountBlock.kind == BlockKind.BLOCK,
        )
    )
    if blocked is not None:
        raise SocialError("Unblock this account before you follow it")
    await _follow_actor(session, member, target)
    return await relationship(session, member_id, account_id)


async def unfollow_account(session: AsyncSession, member_id: int, account_id: int) -> Relationship:
    member = await _member(session, member_id)
    target = await _target(session, account_id)
    await end_follow(session, member, target)
    return await relationship(session, member_id, account_id)


async def end_follow(session: AsyncSession, follower: Actor, target: Actor) -> None:
    """`follower` (ours) stops following `target`: an Undo of the Follow to a remote one."""
    existing = await session.scalar(
        select(Follow).where(Follow.follower_id == follower.id, Follow.following_id == target.id)
    )
    if existing is None:
        return
    if target.kind == ActorKind.REMOTE:
        undone = {
            "id": existing.follow_activity_id,
            "type": "Follow",
            "actor": follower.ap_id,
            "object": target.ap_id,
        }
        await enqueue_activity(
            session, follower, {"type": "Undo", "object": undone, "to": [target.ap_id]}
        )
    await session.delete(existing)
    await session.flush()


async def relationship(session: AsyncSession, member_id: int, account_id: int) -> Relationship:
    member = await _member(session, member_id)
    out = await session.scalar(
        select(Follow.status).where(
            Follow.follower_id == member.id, Follow.following_id == account_id
        )
    )
    back = await session.scalar(
        select(Follow.status).where(
            Follow.follower_id == account_id, Follow.following_id == member.id
        )
    )
    kinds = set(
        await session.scalars(
            select(AccountBlock.kind).where(
                AccountBlock.user_id == member_id, AccountBlock.actor_id == account_id
            )
        )
    )
    return Relationship(
        id=account_id,
        following=out == FollowState.ACCEPTED,
        requested=out == FollowState.PENDING,
        followed_by=back == FollowState.ACCEPTED,
        muting=BlockKind.MUTE in kinds,
        blocking=BlockKind.BLOCK in kinds,
    )


async def list_follow_requests(session: AsyncSession, member_id: int) -> list[FollowRequest]:
    member = await _member(session, member_id)
    rows = await session.scalars(
        select(Follow)
        .where(Follow.following_id == member.id, Follow.status == FollowState.PENDING)
        .order_by(Follow.id.desc())
    )
    found = list(rows.unique())
    accounts = await records(session, [f.follower_id for f in found])
    return [FollowRequest(accounts[f.follower_id], f.created_at) for f in found]


async def answer_follow_request(
    session: AsyncSession, member_id: int, account_id: int, *, accept: bool
) -> Relationship:
    """Accept or reject a pending follow of the member; an Accept or Reject (embedding the
    Follow as it came) goes to a remote follower. NotVisible when there is no request."""
    member = await _member(session, member_id)
    request = await session.scalar(
        select(Follow).where(
            Follow.follower_id == account_id,
            Follow.following_id == member.id,
            Follow.status == FollowState.PENDING,
        )
    )
    if request is None:
        raise NotVisible()
    follower = request.follower
    if follower.kind == ActorKind.REMOTE:
        original = await session.scalar(
            select(Activity.payload).where(
                Activity.ap_id == request.follow_activity_id,
                Activity.direction == Direction.INBOUND,
            )
        )
        embedded = {k: v for k, v in (original or {}).items() if k not in ("@context", "signature")}
        embedded = embedded or {
            "id": request.follow_activity_id,
            "type": "Follow",
            "actor": follower.ap_id,
            "object": member.ap_id,
        }
        await enqueue_activity(
            session,
            member,
            {"type": "Accept" if accept else "Reject", "object": embedded, "to": [follower.ap_id]},
        )
    if accept:
        request.status = FollowState.ACCEPTED
        if member.user_id is not None:
            await notify(session, member.user_id, NotificationKind.FOLLOW, follower.id)
    else:
        await session.delete(request)
    await session.execute(
        delete(Notification).where(
            Notification.user_id == member_id,
            Notification.actor_id == follower.id,
            Notification.kind == NotificationKind.FOLLOW_REQUEST,
        )
    )
    await session.flush()
    return await relationship(session, member_id, account_id)


async def set_locked(session: AsyncSession, member_id: int, locked: bool) -> None:
    """Whether the member approves followers by hand; an actor Update tells their
    followers' servers."""
    member = await _member(session, member_id)
    if member.manually_approves_followers != locked:
        member.manually_approves_followers = locked
        await session.flush()
        record(session, MemberProfileChanged(member_id))


async def list_following(session: AsyncSession, username: str) -> list[FollowRecord]:
    member = await member_actor_row(session, username)
    if member is None:
        return []
    follows = await session.scalars(
        select(Follow).where(Follow.follower_id == member.id).order_by(Follow.id)
    )
    return [_record(f) for f in follows.unique()]


async def list_followers(session: AsyncSession, app: str) -> list[FollowRecord]:
    ours = aliased(Actor)
    follows = await session.scalars(
        select(Follow)
        .join(ours, Follow.following_id == ours.id)
        .where(ours.app_name == app)
        .order_by(Follow.id)
    )
    return [_record(f) for f in follows.unique()]


def followers_query(actor_ap_id: str) -> Select[Any]:
    """Ids of the accepted followers of our actor, newest first."""
    other, ours = aliased(Actor), aliased(Actor)
    return (
        select(other.ap_id)
        .join(Follow, Follow.follower_id == other.id)
        .join(ours, Follow.following_id == ours.id)
        .where(
            ours.ap_id == actor_ap_id,
            ours.kind != ActorKind.REMOTE,
            Follow.status == FollowState.ACCEPTED,
        )
        .order_by(Follow.id.desc())
    )


def following_query(actor_ap_id: str) -> Select[Any]:
    """Ids of the actors our actor follows (accepted), newest first."""
    other, ours = aliased(Actor), aliased(Actor)
    return (
        select(other.ap_id)
        .join(Follow, Follow.following_id == other.id)
        .join(ours, Follow.follower_id == ours.id)
        .where(
            ours.ap_id == actor_ap_id,
            ours.kind != ActorKind.REMOTE,
            Follow.status == FollowState.ACCEPTED,
        )
        .order_by(Follow.id.desc())
    )
