"""Our actors in domain terms: made when a member is created or at start-up, read by GETs.

App actors (and the instance actor) are projections of the settings: a read
answers from the settings whether or not the row exists, and the row is
written by `ensure_app_actors` at start-up, seed and deploy time. A member's
actor and keys are made by `create_member_actor` when the member is; a read
of a member without one finds nothing rather than making it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import ActorRecord
from shared.infrastructure.activitypub.actors import (
    ACTOR_CONTEXT,
    INSTANCE,
    PUBLIC,
    actor_document,
    app_actor,
    app_actor_fields,
    ensure_app_actor,
    ensure_member_keys,
    member_actor,
    member_summary,
    new_member_actor,
    rehome_member_actor,
)
from shared.infrastructure.activitypub.keys import generate_keypair
from shared.infrastructure.activitypub.outbox import enqueue_activity
from shared.infrastructure.config import APP_NAMES, Settings
from shared.models.activitypub import Actor, ActorKind
from shared.models.identity import User

LOCAL_APPS = (*APP_NAMES, INSTANCE)


def actor_record(actor: Actor, user: User | None = None) -> ActorRecord:
    """The record of an actor row; a member's name, bio and avatar come from `user`, the
    member as they are now, so the actor never shows a stale profile."""
    return ActorRecord(
        ap_id=actor.ap_id,
        kind=actor.kind,
        type=actor.type,
        preferred_username=actor.preferred_username,
        domain=actor.domain,
        display_name=user.display_name if user else actor.display_name,
        summary=member_summary(user.bio) if user else actor.summary,
        url=actor.url,
        icon_url=user.avatar_url if user else actor.icon_url,
        inbox_url=actor.inbox_url,
        outbox_url=actor.outbox_url,
        followers_url=actor.followers_url,
        following_url=actor.following_url,
        shared_inbox_url=actor.shared_inbox_url,
        key_id=actor.key_id,
        public_key_pem=actor.public_key_pem,
        app_name=actor.app_name,
        published_at=actor.created_at,
        manually_approves_followers=actor.manually_approves_followers,
    )


async def get_app_actor(session: AsyncSession, settings: Settings, app: str) -> ActorRecord:
    if app not in LOCAL_APPS:
        raise ValueError(f"no app {app!r}")
    fields = app_actor_fields(settings, app)
    created: datetime | None = await session.scalar(
        select(Actor.created_at).where(Actor.app_name == app)
    )
    return ActorRecord(
        ap_id=fields["ap_id"],
        kind="app",
        type=fields["type"],
        preferred_username=fields["preferred_username"],
        domain=fields["domain"],
        display_name=fields["display_name"],
        summary=fields["summary"],
        url=fields["url"],
        icon_url=fields["icon_url"],
        inbox_url=fields["inbox_url"],
        outbox_url=fields["outbox_url"],
        followers_url=fields["followers_url"],
        following_url=fields["following_url"],
        shared_inbox_url=fields["shared_inbox_url"],
        key_id=fields["key_id"],
        public_key_pem=fields["public_key_pem"],
        app_name=app,
        published_at=created,
    )


async def ensure_app_actors(session: AsyncSession, settings: Settings) -> list[ActorRecord]:
    return [actor_record(await ensure_app_actor(session, settings, app)) for app in LOCAL_APPS]


async def get_member_actor(session: AsyncSession, username: str) -> ActorRecord | None:
    found = (
        await session.execute(
            select(Actor, User)
            .join(User, Actor.user_id == User.id)
            .where(
                func.lower(User.username) == username.lower(),
                Actor.kind == ActorKind.MEMBER,
                Actor.deleted_at.is_(None),
            )
        )
    ).first()
    return actor_record(found[0], found[1]) if found else None


async def ensure_inbox_recipient(
    session: AsyncSession, settings: Settings, app: str, kind: str, username: str | None
) -> ActorRecord | None:
    """The local actor an inbox POST to `app` names (its row made or brought up to date:
    a write path, unlike GETs); None when this app has no such actor."""
    row: Actor | None = None
    if kind == "app":
        row = await app_actor(session, settings, app)
    elif app == "federation" and kind == "instance":
        row = await app_actor(session, settings, INSTANCE)
    elif app == "federation" and kind == "member":
        row = await member_actor(session, settings, username or "")
    return actor_record(row) if row is not None else None


async def send_actor_update(session: AsyncSession, settings: Settings, member_id: int) -> bool:
    """Put an Update of the member's actor document (as it is now) in the outbox, to their
    followers; False for a member without an actor."""
    user = await session.get(User, member_id)
    actor = await session.scalar(select(Actor).where(Actor.user_id == member_id))
    if user is None or actor is None:
        return False
    document = actor_document(actor_record(actor, user))
    document.pop("@context", None)
    await enqueue_activity(
        session,
        actor,
        {
            "@context": ACTOR_CONTEXT,
            "type": "Update",
            "object": document,
            "to": [PUBLIC],
            "cc": [actor.followers_url or f"{actor.ap_id}/followers"],
        },
    )
    return True


async def delete_member_actor(session: AsyncSession, member_id: int) -> bool:
    """A Delete of the actor to their followers (signed by the delivery worker with the
    actor's key, which stays for that), then the actor marked deleted: 410 from now on."""
    actor = await session.scalar(
        select(Actor).where(Actor.user_id == member_id, Actor.deleted_at.is_(None))
    )
    if actor is None:
        return False
    await enqueue_activity(
        session,
        actor,
        {
            "type": "Delete",
            "object": actor.ap_id,
            "to": [PUBLIC],
            "cc": [actor.followers_url or f"{actor.ap_id}/followers"],
        },
    )
    actor.deleted_at = datetime.now(UTC)
    await session.flush()
    return True


async def member_actor_deleted(session: AsyncSession, username: str) -> bool:
    found = await session.scalar(
        select(Actor.id)
        .join(User, Actor.user_id == User.id)
        .where(
            func.lower(User.username) == username.lower(),
            Actor.kind == ActorKind.MEMBER,
            Actor.deleted_at.is_not(None),
        )
    )
    return found is not None


async def member_actor_row(session: AsyncSession, username: str) -> Actor | None:
    """The member's actor row, for the service's own writes (a follow); None without one."""
    return await session.scalar(
        select(Actor)
        .join(User, Actor.user_id == User.id)
        .where(func.lower(User.username) == username.lower(), Actor.kind == ActorKind.MEMBER)
    )


async def create_member_actor(
    session: AsyncSession, settings: Settings, member_id: int
) -> ActorRecord:
    user = await session.get(User, member_id)
    if user is None:
        raise LookupError(f"no member {member_id}")
    actor = await session.scalar(select(Actor).where(Actor.user_id == user.id))
    if actor is None:
        actor = new_member_actor(settings, user)
        session.add(actor)
        await session.flush()
    if not (actor.public_key_pem and actor.private_key_pem and actor.key_id):
        # RSA key generation takes tens of milliseconds of CPU: keep the loop serving.
        pair = await asyncio.to_thread(generate_keypair)
        await ensure_member_keys(session, settings, actor, pair)
    return actor_record(actor, user)


async def create_missing_member_actors(session: AsyncSession, settings: Settings) -> int:
    """For databases older than actors-at-sign-up: give every member without an actor (or
    without keys) theirs, and move actors whose URLs the settings changed. How many
    members were touched."""
    touched = 0
    rows = await session.execute(
        select(User, Actor).outerjoin(Actor, Actor.user_id == User.id).order_by(User.id)
    )
    for user, actor in rows.all():
        moved = actor is not None and rehome_member_actor(settings, actor, user.username)
        keyless = actor is None or not (actor.public_key_pem and actor.key_id)
        if moved:
            await session.flush()
        if keyless:
            await create_member_actor(session, settings, user.id)
        touched += int(moved or keyless)
    return touched


async def make_missing_actors(session: AsyncSession, settings: Settings) -> int:
    """Every app's actor brought up to date, and the members' actors a database is missing
    (see `create_missing_member_actors`); how many members were touched."""
    await ensure_app_actors(session, settings)
    return await create_missing_member_actors(session, settings)
