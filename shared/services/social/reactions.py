"""A member favourites (`Like`) or boosts (`Announce`) a status, and undoes either.

Each is idempotent: favouriting twice is one favourite, undoing what was never done
changes nothing. A Like goes to the author; an Announce to the member's followers and
the author. An author here is notified at once.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.social import SocialError, StatusRecord
from shared.infrastructure.activitypub.actors import PUBLIC
from shared.infrastructure.activitypub.outbox import AS_CONTEXT, enqueue_activity, iso
from shared.models.activitypub import (
    Actor,
    ActorKind,
    ApObject,
    Follow,
    FollowState,
    Notification,
    NotificationKind,
    Reaction,
    ReactionKind,
    TimelineEntry,
    Visibility,
)
from shared.services.social import statuses
from shared.services.social.notify import notify

VERBS = {ReactionKind.LIKE: "Like", ReactionKind.ANNOUNCE: "Announce"}
NOTIFIED = {ReactionKind.LIKE: NotificationKind.LIKE, ReactionKind.ANNOUNCE: NotificationKind.BOOST}


async def _member(session: AsyncSession, member_id: int) -> Actor:
    actor = await statuses.viewer_actor(session, member_id)
    if actor is None or actor.kind != ActorKind.MEMBER:
        raise SocialError("You have no social account yet", 403)
    return actor


def _addressing(member: Actor, obj: ApObject, kind: ReactionKind) -> dict[str, list[str]]:
    if kind == ReactionKind.LIKE:
        return {"to": [obj.actor.ap_id], "cc": []}
    followers = member.followers_url or f"{member.ap_id}/followers"
    return {"to": [PUBLIC], "cc": [followers, obj.actor.ap_id]}


async def react(
    session: AsyncSession, member_id: int, status_id: int, kind: ReactionKind
) -> StatusRecord:
    member = await _member(session, member_id)
    obj = await statuses.get_visible(session, member, status_id)
    if kind == ReactionKind.ANNOUNCE and obj.visibility not in (
        Visibility.PUBLIC,
        Visibility.UNLISTED,
    ):
        raise SocialError("Validation failed: this status cannot be boosted", 422)
    existing = await session.scalar(
        select(Reaction).where(
            Reaction.kind == kind, Reaction.actor_id == member.id, Reaction.object_id == obj.id
        )
    )
    if existing is None:
        activity = await enqueue_activity(
            session,
            member,
            {
                "@context": AS_CONTEXT,
                "type": VERBS[kind],
                "object": obj.ap_id,
                "published": iso(datetime.now(UTC)),
                **_addressing(member, obj, kind),
            },
        )
        await session.execute(
            insert(Reaction)
            .values(kind=kind, actor_id=member.id, object_id=obj.id, activity_ap_id=activity.ap_id)
            .on_conflict_do_nothing()
        )
        if obj.actor.user_id and obj.actor_id != member.id:
            await notify(session, obj.actor.user_id, NOTIFIED[kind], member.id, obj.id)
        if kind == ReactionKind.ANNOUNCE:
            await _boost_locally(session, member, obj)
        await session.flush()
    return await statuses.one(session, member, obj)


async def _boost_locally(session: AsyncSession, member: Actor, obj: ApObject) -> None:
    followers = await session.scalars(
        select(Actor.user_id)
        .join(Follow, Follow.follower_id == Actor.id)
        .where(
            Follow.following_id == member.id,
            Follow.status == FollowState.ACCEPTED,
            Actor.user_id.is_not(None),
        )
    )
    rows = [{"user_id": u, "object_id": obj.id, "boosted_by_id": member.id} for u in followers]
    if rows:
        await session.execute(insert(TimelineEntry).values(rows).on_conflict_do_nothing())


async def undo(
    session: AsyncSession, member_id: int, status_id: int, kind: ReactionKind
) -> StatusRecord:
    member = await _member(session, member_id)
    obj = await statuses.get_visible(session, member, status_id)
    existing = await session.scalar(
        select(Reaction).where(
            Reaction.kind == kind, Reaction.actor_id == member.id, Reaction.object_id == obj.id
        )
    )
    if existing is not None:
        undone = {
            "id": existing.activity_ap_id,
            "type": VERBS[kind],
            "actor": member.ap_id,
            "object": obj.ap_id,
        }
        await enqueue_activity(
            session,
            member,
            {
                "@context": AS_CONTEXT,
                "type": "Undo",
                "object": undone,
                **_addressing(member, obj, kind),
            },
        )
        await session.delete(existing)
        await session.execute(
            delete(Notification).where(
                Notification.actor_id == member.id,
                Notification.object_id == obj.id,
                Notification.kind == NOTIFIED[kind],
            )
        )
        if kind == ReactionKind.ANNOUNCE:
            await session.execute(
                delete(TimelineEntry).where(
                    TimelineEntry.object_id == obj.id, TimelineEntry.boosted_by_id == member.id
                )
            )
        await session.flush()
    return await statuses.one(session, member, obj)
