"""Notifications: what a member should see (a follow, a like, a boost, a reply, a mention).

Inbound handling writes them (shared.infrastructure.activitypub.handlers, moving here
in a later round); this reads them for the member.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import NotificationRecord
from shared.models.activitypub import Actor, ApObject, Notification


async def list_notifications(
    session: AsyncSession, member_id: int, *, limit: int = 20
) -> list[NotificationRecord]:
    rows = await session.execute(
        select(Notification, Actor, ApObject.ap_id)
        .join(Actor, Notification.actor_id == Actor.id)
        .outerjoin(ApObject, Notification.object_id == ApObject.id)
        .where(Notification.user_id == member_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    return [
        NotificationRecord(
            kind=notification.kind,
            actor=actor.ap_id,
            actor_name=actor.display_name or actor.preferred_username,
            actor_handle=f"@{actor.preferred_username}@{actor.domain}",
            object_ap_id=object_ap_id,
            created_at=notification.created_at,
            read=notification.read_at is not None,
        )
        for notification, actor, object_ap_id in rows.all()
    ]


async def count_unread_notifications(session: AsyncSession, member_id: int) -> int:
    unread = await session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == member_id, Notification.read_at.is_(None)
        )
    )
    return int(unread or 0)


async def mark_notifications_read(session: AsyncSession, member_id: int) -> int:
    marked = await session.execute(
        update(Notification)
        .where(Notification.user_id == member_id, Notification.read_at.is_(None))
        .values(read_at=func.now())
    )
    return int(marked.rowcount or 0)  # type: ignore[attr-defined]
