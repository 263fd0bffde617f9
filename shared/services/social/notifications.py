"""Notifications: what a member should see (a follow, a like, a boost, a reply, a mention).

Inbound handling (inbound.py), composing, reactions and follows here write them; this
reads them for the member, flat or grouped the Mastodon 4.3 way.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import NotificationRecord
from shared.contracts.events import NotificationsChanged, record
from shared.contracts.social import AccountRecord, NotificationGroup, NotificationItem
from shared.models.activitypub import Actor, ApObject, Notification, NotificationKind
from shared.services.social import statuses
from shared.services.social.accounts import records


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
            Notification.user_id == member_id,
            Notification.read_at.is_(None),
            statuses.not_hidden_from(member_id, Notification.actor_id),
        )
    )
    return int(unread or 0)


async def mark_notifications_read(session: AsyncSession, member_id: int) -> int:
    marked = await session.execute(
        update(Notification)
        .where(Notification.user_id == member_id, Notification.read_at.is_(None))
        .values(read_at=func.now())
    )
    count = int(marked.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        record(session, NotificationsChanged(member_id))
    return count


# -- grouped (Mastodon 4.3) and flat pages -------------------------------------------------

GROUPED_KINDS = (NotificationKind.LIKE, NotificationKind.BOOST, NotificationKind.FOLLOW)
SHOWN_ACCOUNTS = 3


async def notification_items(
    session: AsyncSession,
    member_id: int,
    *,
    max_id: int | None = None,
    limit: int = 40,
    kinds: tuple[str, ...] = (),
) -> list[NotificationItem]:
    """The member's notifications newest first (by id), from muted or blocked accounts
    left out, each with its account and status."""
    query = select(Notification).where(
        Notification.user_id == member_id,
        statuses.not_hidden_from(member_id, Notification.actor_id),
    )
    if max_id is not None:
        query = query.where(Notification.id < max_id)
    if kinds:
        query = query.where(Notification.kind.in_(kinds))
    found = list(await session.scalars(query.order_by(Notification.id.desc()).limit(limit)))
    viewer = await statuses.viewer_actor(session, member_id)
    accounts = await records(session, {n.actor_id for n in found})
    object_ids = {n.object_id for n in found if n.object_id}
    objects = {
        o.id: o
        for o in (
            await session.scalars(select(ApObject).where(ApObject.id.in_(object_ids)))
        ).unique()
        if o.deleted_at is None
    }
    built = {
        s.id: s
        for s in await statuses.build(session, viewer, [(o, o.id, None) for o in objects.values()])
    }
    return [
        NotificationItem(
            n.id,
            n.kind,
            accounts[n.actor_id],
            built.get(n.object_id) if n.object_id else None,
            n.created_at,
            n.read_at is not None,
        )
        for n in found
        if n.actor_id in accounts and (n.object_id is None or n.object_id in built)
    ]


def group(items: list[NotificationItem]) -> list[NotificationGroup]:
    """Favourites and boosts of one status, and follows, each one group; the rest alone.
    Groups are ordered by their newest notification."""
    groups: dict[str, list[NotificationItem]] = {}
    for item in items:
        if item.kind in GROUPED_KINDS:
            key = f"{item.kind}-{item.status.id}" if item.status else item.kind
        else:
            key = f"ungrouped-{item.id}"
        groups.setdefault(key, []).append(item)
    result = []
    for key, members in groups.items():
        accounts: list[AccountRecord] = []
        for member in members:
            if member.account.id not in {a.id for a in accounts}:
                accounts.append(member.account)
        result.append(
            NotificationGroup(
                group_key=key,
                kind=members[0].kind,
                accounts=tuple(accounts[:SHOWN_ACCOUNTS]),
                count=len(accounts),
                status=members[0].status,
                latest_at=members[0].created_at,
                most_recent_id=members[0].id,
                page_min_id=members[-1].id,
                unread=any(not m.read for m in members),
            )
        )
    return result
