"""The social domain behind `SocialService`: actors, follows, objects, timelines and
notifications.

ActivityPub's transport (signatures, HTTP, delivery) stays in
`shared.infrastructure.activitypub`; its routes parse a request, ask this
service and render JSON-LD. One module per part of the domain; this class
only wires them to the settings.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.dtos import (
    ActivityRecord,
    ActorRecord,
    CollectionName,
    CollectionSlice,
    FederatedObject,
    FollowRecord,
    LocalObjectRecord,
    NoteSummary,
    NotificationRecord,
    SocialUsage,
)
from shared.contracts.errors import FederationError
from shared.infrastructure.activitypub.http import FederationClient
from shared.infrastructure.config import Settings
from shared.services.social import (
    actors,
    follows,
    inbound,
    notifications,
    objects,
    prefetch,
    timelines,
)

COLLECTIONS = {
    "outbox": objects.outbox_query,
    "followers": follows.followers_query,
    "following": follows.following_query,
}


class SqlSocialService:
    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            raise RuntimeError("services.social needs settings: wire_services(settings)")
        return self._settings

    # -- actors

    async def create_member_actor(self, session: AsyncSession, member_id: int) -> ActorRecord:
        return await actors.create_member_actor(session, self.settings, member_id)

    async def ensure_app_actors(self, session: AsyncSession) -> list[ActorRecord]:
        return await actors.ensure_app_actors(session, self.settings)

    async def get_app_actor(self, session: AsyncSession, app: str) -> ActorRecord:
        return await actors.get_app_actor(session, self.settings, app)

    async def get_member_actor(self, session: AsyncSession, username: str) -> ActorRecord | None:
        return await actors.get_member_actor(session, username)

    async def ensure_inbox_recipient(
        self, session: AsyncSession, app: str, kind: str, username: str | None = None
    ) -> ActorRecord | None:
        return await actors.ensure_inbox_recipient(session, self.settings, app, kind, username)

    # -- inbound

    async def prefetch_inbound(
        self,
        sessions: async_sessionmaker[AsyncSession],
        client: FederationClient,
        sender: str,
        activity: dict[str, Any],
    ) -> None:
        await prefetch.prefetch(sessions, self.settings, client, sender, activity)

    async def apply_inbound(
        self, session: AsyncSession, sender: str, activity: dict[str, Any]
    ) -> None:
        await inbound.apply(session, self.settings, sender, activity)

    # -- collections, objects, activities

    async def get_collection(
        self, session: AsyncSession, actor: str, name: CollectionName, *, limit: int, offset: int
    ) -> CollectionSlice:
        query = COLLECTIONS[name](actor)
        counted = select(func.count()).select_from(query.order_by(None).subquery())
        total = await session.scalar(counted)
        items = [] if limit <= 0 else list(await session.scalars(query.limit(limit).offset(offset)))
        return CollectionSlice(total=int(total or 0), items=tuple(items))

    async def get_local_object(self, session: AsyncSession, ap_id: str) -> LocalObjectRecord | None:
        return await objects.get_local_object(session, ap_id)

    async def get_public_activity(self, session: AsyncSession, ap_id: str) -> dict[str, Any] | None:
        return await objects.get_public_activity(session, ap_id)

    async def get_usage(self, session: AsyncSession) -> SocialUsage:
        return await objects.get_usage(session)

    async def list_local_timeline(
        self, session: AsyncSession, *, limit: int = 20
    ) -> list[NoteSummary]:
        return await timelines.list_local_timeline(session, limit=limit)

    async def list_home_timeline(
        self, session: AsyncSession, member_id: int, *, limit: int = 20
    ) -> list[NoteSummary]:
        return await timelines.list_home_timeline(session, member_id, limit=limit)

    # -- notifications

    async def list_notifications(
        self, session: AsyncSession, member_id: int, *, limit: int = 20
    ) -> list[NotificationRecord]:
        return await notifications.list_notifications(session, member_id, limit=limit)

    async def count_unread_notifications(self, session: AsyncSession, member_id: int) -> int:
        return await notifications.count_unread_notifications(session, member_id)

    async def mark_notifications_read(self, session: AsyncSession, member_id: int) -> int:
        return await notifications.mark_notifications_read(session, member_id)

    # -- publishing

    async def publish(
        self, session: AsyncSession, item: FederatedObject, verb: str
    ) -> ActivityRecord:
        return await objects.publish(session, self.settings, item, verb)

    async def is_published(self, session: AsyncSession, app: str, key: str) -> bool:
        return await objects.is_published(session, self.settings, app, key)

    # -- follows

    async def follow(self, session: AsyncSession, *, username: str, target: str) -> FollowRecord:
        return await follows.follow(session, self.settings, username=username, target=target)

    async def list_following(self, session: AsyncSession, username: str) -> list[FollowRecord]:
        return await follows.list_following(session, username)

    async def list_followers(self, session: AsyncSession, app: str) -> list[FollowRecord]:
        return await follows.list_followers(session, app)


__all__ = ["FederationError", "SqlSocialService"]
