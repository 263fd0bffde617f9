"""Objects and activities: what our apps publish, and reading it back for peers.

`publish` writes the object and its activity in the caller's transaction (the
outbox pattern); the EventProcessor delivers after the commit. The reads
serve `/objects/...`, `/activities/...` and the outbox collection.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from shared.contracts.dtos import ActivityRecord, FederatedObject, LocalObjectRecord, SocialUsage
from shared.infrastructure.activitypub.actors import AS_CONTEXT, PUBLIC, app_actor, app_actor_id
from shared.infrastructure.activitypub.outbox import is_federated, publish_object
from shared.infrastructure.config import Settings
from shared.models.activitypub import Activity, Actor, ActorKind, ApObject, Direction, Visibility

VERBS = ("Create", "Update", "Delete")
PUBLIC_TYPES = ("Create", "Update", "Delete", "Announce")
# Served unsigned even when not public: their recipient dereferences them (Mastodon does).
ADDRESSED_TYPES = frozenset({"Follow", "Accept", "Reject", "Undo", "Like", "Announce"})
SERVED_VISIBILITIES = (Visibility.PUBLIC, Visibility.UNLISTED)


def _record(row: Activity) -> ActivityRecord:
    return ActivityRecord(row.id, row.ap_id, row.type, row.object_ap_id, row.status)


async def publish(
    session: AsyncSession, settings: Settings, item: FederatedObject, verb: str
) -> ActivityRecord:
    if verb not in VERBS:
        raise ValueError(f"verb must be one of {', '.join(VERBS)}")
    actor = await app_actor(session, settings, item.app)  # a write path: the row may be made
    return _record(await publish_object(session, actor, item, verb))


async def is_published(session: AsyncSession, settings: Settings, app: str, key: str) -> bool:
    return await is_federated(session, app_actor_id(settings, app), key)


async def get_local_object(session: AsyncSession, ap_id: str) -> LocalObjectRecord | None:
    stored = await session.scalar(
        select(ApObject).where(
            ApObject.ap_id == ap_id,
            ApObject.is_local.is_(True),
            ApObject.visibility.in_(SERVED_VISIBILITIES),
        )
    )
    if stored is None:
        return None
    document = dict(stored.payload) or {
        "@context": AS_CONTEXT,
        "id": stored.ap_id,
        "type": stored.type,
        "attributedTo": stored.actor.ap_id,
        "content": stored.content_html,
        "url": stored.url,
        "to": [PUBLIC],
    }
    return LocalObjectRecord(
        ap_id=stored.ap_id,
        type=stored.type,
        attributed_to=stored.actor.ap_id,
        visibility=stored.visibility,
        content_html=stored.content_html,
        url=stored.url,
        deleted=stored.deleted_at is not None,
        document=document,
    )


async def get_public_activity(session: AsyncSession, ap_id: str) -> dict[str, Any] | None:
    row = await session.scalar(
        select(Activity).where(Activity.ap_id == ap_id, Activity.direction == Direction.OUTBOUND)
    )
    if row is None:
        return None
    addressed = [*row.payload.get("to", []), *row.payload.get("cc", [])]
    if row.type not in ADDRESSED_TYPES and PUBLIC not in addressed:
        return None
    return dict(row.payload)


def outbox_query(actor_ap_id: str) -> Select[Any]:
    """The public activities of our actor, newest first."""
    ours = aliased(Actor)
    return (
        select(Activity.payload)
        .join(ours, Activity.actor_id == ours.id)
        .where(
            ours.ap_id == actor_ap_id,
            ours.kind != ActorKind.REMOTE,
            Activity.direction == Direction.OUTBOUND,
            Activity.type.in_(PUBLIC_TYPES),
            Activity.payload["to"].contains([PUBLIC]),
        )
        .order_by(Activity.id.desc())
    )


async def get_usage(session: AsyncSession) -> SocialUsage:
    members = await session.scalar(
        select(func.count(Actor.id)).where(
            Actor.kind == ActorKind.MEMBER, Actor.deleted_at.is_(None)
        )
    )
    posts = await session.scalar(
        select(func.count(ApObject.id)).where(
            ApObject.is_local.is_(True), ApObject.deleted_at.is_(None)
        )
    )
    return SocialUsage(members=int(members or 0), local_posts=int(posts or 0))
