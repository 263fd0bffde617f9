"""Follows: a member following a remote actor, and who follows or is followed by ours."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from shared.contracts.dtos import FollowRecord
from shared.contracts.errors import FederationError
from shared.infrastructure.activitypub.http import FederationClient
from shared.infrastructure.activitypub.outbox import enqueue_activity
from shared.infrastructure.activitypub.remote import RemoteActorError, RemoteActors
from shared.infrastructure.config import Settings
from shared.models.activitypub import Actor, Follow
from shared.services.social.actors import member_actor_row


def _record(follow: Follow) -> FollowRecord:
    return FollowRecord(
        follow.follower.ap_id, follow.following.ap_id, follow.status, follow.follow_activity_id
    )


async def follow(
    session: AsyncSession, settings: Settings, *, username: str, target: str
) -> FollowRecord:
    member = await member_actor_row(session, username)
    if member is None:
        raise FederationError(f"no member {username} with an actor")
    client = FederationClient(settings.activitypub)
    try:
        remote = await RemoteActors(session, settings, client).actor(target)
    except RemoteActorError as exc:
        raise FederationError(str(exc)) from None
    finally:
        await client.aclose()
    existing = await session.scalar(
        select(Follow).where(Follow.follower_id == member.id, Follow.following_id == remote.id)
    )
    if existing is not None and existing.status == "accepted":
        return _record(existing)
    activity = await enqueue_activity(
        session, member, {"type": "Follow", "object": remote.ap_id, "to": [remote.ap_id]}
    )
    if existing is None:
        existing = Follow(follower_id=member.id, following_id=remote.id)
        session.add(existing)
    existing.status, existing.follow_activity_id = "pending", activity.ap_id
    await session.flush()
    return FollowRecord(member.ap_id, remote.ap_id, "pending", activity.ap_id)


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
        .where(ours.ap_id == actor_ap_id, ours.kind != "remote", Follow.status == "accepted")
        .order_by(Follow.id.desc())
    )


def following_query(actor_ap_id: str) -> Select[Any]:
    """Ids of the actors our actor follows (accepted), newest first."""
    other, ours = aliased(Actor), aliased(Actor)
    return (
        select(other.ap_id)
        .join(Follow, Follow.following_id == other.id)
        .join(ours, Follow.follower_id == ours.id)
        .where(ours.ap_id == actor_ap_id, ours.kind != "remote", Follow.status == "accepted")
        .order_by(Follow.id.desc())
    )
