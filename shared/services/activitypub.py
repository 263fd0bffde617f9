"""ActivityPub: the local timeline, and the outbox API the federating domains publish through.

`publish` writes the object and its activity in the caller's transaction
(the outbox pattern); the EventProcessor delivers after the commit.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import ActivityRecord, FederatedObject, FollowRecord, NoteSummary
from shared.infrastructure.activitypub.actors import app_actor, member_actor
from shared.infrastructure.activitypub.http import FederationClient
from shared.infrastructure.activitypub.outbox import enqueue_activity, is_federated, publish_object
from shared.infrastructure.activitypub.remote import RemoteActorError, RemoteActors
from shared.infrastructure.config import Settings
from shared.infrastructure.html import sanitize_html
from shared.models.activitypub import Activity, Actor, ApObject, Follow

VERBS = ("Create", "Update", "Delete")


class FederationError(Exception):
    """A follow could not be made: unknown member, unreachable or invalid remote actor."""


def _record(row: Activity) -> ActivityRecord:
    return ActivityRecord(row.id, row.ap_id, row.type, row.object_ap_id, row.status)


class SqlActivityPubService:
    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            raise RuntimeError("services.activitypub needs settings: wire_services(settings)")
        return self._settings

    async def publish(
        self, session: AsyncSession, item: FederatedObject, verb: str
    ) -> ActivityRecord:
        if verb not in VERBS:
            raise ValueError(f"verb must be one of {', '.join(VERBS)}")
        actor = await app_actor(session, self.settings, item.app)
        return _record(await publish_object(session, actor, item, verb))

    async def is_published(self, session: AsyncSession, app: str, key: str) -> bool:
        actor = await app_actor(session, self.settings, app)
        return await is_federated(session, actor, key)

    async def follow(self, session: AsyncSession, *, username: str, target: str) -> FollowRecord:
        member = await member_actor(session, self.settings, username)
        if member is None:
            raise FederationError(f"no member {username}")
        client = FederationClient(self.settings.activitypub)
        try:
            remote = await RemoteActors(session, self.settings, client).actor(target)
        except RemoteActorError as exc:
            raise FederationError(str(exc)) from None
        finally:
            await client.aclose()
        follow = await session.scalar(
            select(Follow).where(Follow.follower_id == member.id, Follow.following_id == remote.id)
        )
        if follow is not None and follow.status == "accepted":
            return FollowRecord(
                member.ap_id, remote.ap_id, follow.status, follow.follow_activity_id
            )
        activity = await enqueue_activity(
            session, member, {"type": "Follow", "object": remote.ap_id, "to": [remote.ap_id]}
        )
        if follow is None:
            follow = Follow(follower_id=member.id, following_id=remote.id)
            session.add(follow)
        follow.status, follow.follow_activity_id = "pending", activity.ap_id
        await session.flush()
        return FollowRecord(member.ap_id, remote.ap_id, "pending", activity.ap_id)

    async def list_following(self, session: AsyncSession, username: str) -> list[FollowRecord]:
        member = await member_actor(session, self.settings, username)
        if member is None:
            return []
        follows = await session.scalars(
            select(Follow).where(Follow.follower_id == member.id).order_by(Follow.id)
        )
        return [
            FollowRecord(member.ap_id, f.following.ap_id, f.status, f.follow_activity_id)
            for f in follows.unique()
        ]

    async def list_followers(self, session: AsyncSession, app: str) -> list[FollowRecord]:
        actor = await app_actor(session, self.settings, app)
        follows = await session.scalars(
            select(Follow).where(Follow.following_id == actor.id).order_by(Follow.id)
        )
        return [
            FollowRecord(f.follower.ap_id, actor.ap_id, f.status, f.follow_activity_id)
            for f in follows.unique()
        ]

    async def list_local_timeline(
        self, session: AsyncSession, *, limit: int = 20
    ) -> list[NoteSummary]:
        notes = await session.scalars(
            select(ApObject)
            .where(
                ApObject.is_local.is_(True),
                ApObject.type == "Note",
                # Market listings are Notes too, by the market's actor: members' only here.
                ApObject.actor.has(Actor.kind == "member"),
                ApObject.visibility == "public",
                ApObject.deleted_at.is_(None),
            )
            .order_by(ApObject.published_at.desc(), ApObject.id.desc())
            .limit(limit)
        )
        return [
            NoteSummary(
                ap_id=note.ap_id,
                author_name=note.actor.display_name or note.actor.preferred_username,
                author_handle=f"@{note.actor.preferred_username}@{note.actor.domain}",
                author_icon=note.actor.icon_url,
                # Stored content is sanitized on the way in; this is defence in depth.
                content_html=sanitize_html(note.content_html),
                url=note.url,
                published_at=note.published_at,
            )
            for note in notes.unique()
        ]
