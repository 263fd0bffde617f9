"""Writing a notification: the row, and the event that drops the member's cached user
menu (it shows the unread count) once the transaction commits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.events import NotificationsChanged, record
from shared.models.activitypub import Notification


async def notify(
    session: AsyncSession, user_id: int, kind: str, actor_id: int, object_id: int | None = None
) -> None:
    session.add(Notification(user_id=user_id, kind=kind, actor_id=actor_id, object_id=object_id))
    record(session, NotificationsChanged(user_id))
    await session.flush()
