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
from shared.contracts.social import (
    AccountRecord,
    DomainBlockRecord,
    FollowRequest,
    NewStatus,
    NotificationGroup,
    NotificationItem,
    NotVisible,
    PageQuery,
    Relationship,
    SocialError,
    StatusContext,
    StatusRecord,
    TimelinePage,
)
from shared.infrastructure.activitypub.http import FederationClient
from shared.infrastructure.config import Settings
from shared.models.activitypub import ReactionKind
from shared.services.social import (
    accounts,
    actors,
    compose,
    follows,
    inbound,
    moderation,
    notifications,
    objects,
    prefetch,
    reactions,
    statuses,
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

    async def send_actor_update(self, session: AsyncSession, member_id: int) -> bool:
        return await actors.send_actor_update(session, self.settings, member_id)

    async def delete_member_actor(self, session: AsyncSession, member_id: int) -> bool:
        return await actors.delete_member_actor(session, member_id)

    async def member_actor_deleted(self, session: AsyncSession, username: str) -> bool:
        return await actors.member_actor_deleted(session, username)

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

    async def follow(
        self, session: AsyncSession, client: FederationClient, *, username: str, target: str
    ) -> FollowRecord:
        return await follows.follow(
            session, self.settings, client, username=username, target=target
        )

    # -- the hub: accounts

    async def get_account(self, session: AsyncSession, account_id: int) -> AccountRecord:
        return await accounts.get_account(session, account_id)

    async def lookup_account(self, session: AsyncSession, handle: str) -> AccountRecord:
        return await accounts.lookup_account(session, self.settings, handle)

    async def resolve_account(
        self, session: AsyncSession, client: FederationClient, handle: str
    ) -> AccountRecord:
        return await accounts.resolve_account(session, self.settings, client, handle)

    async def get_member_account(self, session: AsyncSession, member_id: int) -> AccountRecord:
        actor = await statuses.viewer_actor(session, member_id)
        if actor is None:
            raise NotVisible()
        return await accounts.counted_record(session, actor)

    async def resolve_mentions(
        self, session: AsyncSession, client: FederationClient, text: str
    ) -> int:
        found = 0
        for handle in compose.mention_handles(text):
            if "@" not in handle.lstrip("@"):
                continue  # one of ours: nothing to look up
            try:
                await accounts.resolve_account(session, self.settings, client, handle)
                found += 1
            except SocialError:
                continue  # left as text, as Mastodon leaves a handle it cannot find
        return found

    # -- the hub: statuses

    async def create_status(
        self, session: AsyncSession, member_id: int, new: NewStatus
    ) -> StatusRecord:
        return await compose.create_status(session, self.settings, member_id, new)

    async def edit_status(
        self, session: AsyncSession, member_id: int, status_id: int, new: NewStatus
    ) -> StatusRecord:
        return await compose.edit_status(session, self.settings, member_id, status_id, new)

    async def delete_status(
        self, session: AsyncSession, member_id: int, status_id: int
    ) -> StatusRecord:
        return await compose.delete_status(session, member_id, status_id)

    async def get_status(
        self, session: AsyncSession, member_id: int | None, status_id: int
    ) -> StatusRecord:
        return await timelines.get_status(session, member_id, status_id)

    async def get_context(
        self, session: AsyncSession, member_id: int | None, status_id: int
    ) -> StatusContext:
        return await timelines.get_context(session, member_id, status_id)

    async def react(
        self,
        session: AsyncSession,
        member_id: int,
        status_id: int,
        kind: str,
        *,
        undo: bool = False,
    ) -> StatusRecord:
        reaction = ReactionKind(kind)
        if undo:
            return await reactions.undo(session, member_id, status_id, reaction)
        return await reactions.react(session, member_id, status_id, reaction)

    # -- the hub: timelines

    async def home_page(
        self, session: AsyncSession, member_id: int, page: PageQuery
    ) -> TimelinePage:
        return await timelines.home_page(
            session, member_id, max_id=page.max_id, min_id=page.min_id, limit=page.limit
        )

    async def public_page(
        self,
        session: AsyncSession,
        member_id: int | None,
        page: PageQuery,
        *,
        local: bool = False,
        tag: str | None = None,
    ) -> TimelinePage:
        return await timelines.public_page(
            session,
            member_id,
            local=local,
            tag=tag,
            max_id=page.max_id,
            min_id=page.min_id,
            limit=page.limit,
        )

    async def account_page(
        self, session: AsyncSession, member_id: int | None, account_id: int, page: PageQuery
    ) -> TimelinePage:
        return await timelines.account_page(
            session,
            member_id,
            account_id,
            max_id=page.max_id,
            min_id=page.min_id,
            limit=page.limit,
        )

    # -- the hub: follows and moderation

    async def follow_account(
        self, session: AsyncSession, member_id: int, account_id: int
    ) -> Relationship:
        return await follows.follow_account(session, member_id, account_id)

    async def unfollow_account(
        self, session: AsyncSession, member_id: int, account_id: int
    ) -> Relationship:
        return await follows.unfollow_account(session, member_id, account_id)

    async def get_relationship(
        self, session: AsyncSession, member_id: int, account_id: int
    ) -> Relationship:
        return await follows.relationship(session, member_id, account_id)

    async def list_follow_requests(
        self, session: AsyncSession, member_id: int
    ) -> list[FollowRequest]:
        return await follows.list_follow_requests(session, member_id)

    async def answer_follow_request(
        self, session: AsyncSession, member_id: int, account_id: int, *, accept: bool
    ) -> Relationship:
        return await follows.answer_follow_request(session, member_id, account_id, accept=accept)

    async def set_locked(self, session: AsyncSession, member_id: int, locked: bool) -> None:
        await follows.set_locked(session, member_id, locked)

    async def moderate(
        self, session: AsyncSession, member_id: int, account_id: int, action: str
    ) -> Relationship:
        actions = {
            "mute": moderation.mute,
            "unmute": moderation.unmute,
            "block": moderation.block,
            "unblock": moderation.unblock,
        }
        if action not in actions:
            raise ValueError(f"no moderation action {action!r}")
        return await actions[action](session, member_id, account_id)

    async def report(
        self,
        session: AsyncSession,
        member_id: int,
        account_id: int,
        status_ids: list[int],
        comment: str,
    ) -> int:
        return await moderation.report(
            session, self.settings, member_id, account_id, status_ids, comment
        )

    async def block_domain(self, session: AsyncSession, domain: str, reason: str) -> int:
        return await moderation.block_domain(session, self.settings, domain, reason)

    async def unblock_domain(self, session: AsyncSession, domain: str) -> bool:
        return await moderation.unblock_domain(session, domain)

    async def list_domain_blocks(self, session: AsyncSession) -> list[DomainBlockRecord]:
        return await moderation.list_domain_blocks(session)

    async def is_domain_blocked(self, session: AsyncSession, host: str) -> bool:
        return await moderation.is_domain_blocked(session, host)

    # -- the hub: notifications

    async def list_notification_items(
        self,
        session: AsyncSession,
        member_id: int,
        *,
        max_id: int | None = None,
        limit: int = 40,
        kinds: tuple[str, ...] = (),
    ) -> list[NotificationItem]:
        return await notifications.notification_items(
            session, member_id, max_id=max_id, limit=limit, kinds=kinds
        )

    async def list_notification_groups(
        self, session: AsyncSession, member_id: int, *, max_id: int | None = None, limit: int = 40
    ) -> list[NotificationGroup]:
        items = await notifications.notification_items(
            session, member_id, max_id=max_id, limit=limit
        )
        return notifications.group(items)

    async def list_following(self, session: AsyncSession, username: str) -> list[FollowRecord]:
        return await follows.list_following(session, username)

    async def list_followers(self, session: AsyncSession, app: str) -> list[FollowRecord]:
        return await follows.list_followers(session, app)


__all__ = ["FederationError", "SqlSocialService"]
