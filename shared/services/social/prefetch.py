"""Prefetchers: the network part of handling an inbound activity, run before its transaction.

A handler (inbound.py) applies an activity in one database transaction and
asks no other server. What it needs from elsewhere (an actor's fresh
document, a boosted post) is fetched here first, with no transaction open:
a slow server then holds a socket, never a pooled connection. Each database
step a prefetcher needs is a short transaction of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.infrastructure.activitypub.http import FederationClient
from shared.infrastructure.activitypub.remote import RemoteActors, first_id
from shared.infrastructure.config import Settings
from shared.models.activitypub import Actor, ApObject
from shared.services.social.inbound import (
    OBJECT_TYPES,
    Context,
    as_object,
    has_local_followers,
    store_object,
)

log = logging.getLogger(__name__)


@dataclass
class Prefetch:
    """What a prefetcher works with: no transaction held while it asks other servers;
    each database step it needs runs in a short transaction of its own."""

    sessions: async_sessionmaker[AsyncSession]
    settings: Settings
    remote: RemoteActors
    sender: Actor
    activity: dict[str, Any]


Prefetcher = Callable[[Prefetch], Awaitable[None]]


async def prefetch_update(pre: Prefetch) -> None:
    """An actor's Update of itself: fetch its document again (it is the source of truth)."""
    document = as_object(pre.activity.get("object"))
    if document is not None and first_id(document) == pre.sender.ap_id:
        await pre.remote.actor(pre.sender.ap_id, refresh=True)


async def prefetch_announce(pre: Prefetch) -> None:
    """A boost of a remote object we do not have: fetch and store it, when anyone here
    follows the booster (nobody would see it otherwise)."""
    object_id = first_id(pre.activity.get("object"))
    if not object_id:
        return
    async with pre.sessions() as session:
        if await session.scalar(select(ApObject.id).where(ApObject.ap_id == object_id)):
            return
        if not await has_local_followers(session, pre.sender):
            return
    try:
        document = await pre.remote.client.get_json(object_id, None)
        author = await pre.remote.actor(first_id(document.get("attributedTo")) or "")
    except Exception as exc:  # a boost of something unreachable is simply not shown
        log.info("cannot fetch announced %s: %s", object_id, exc)
        return
    if document.get("type") not in OBJECT_TYPES or first_id(document) != object_id:
        return
    async with pre.sessions() as session, session.begin():
        await store_object(Context(session, pre.settings, author, {}), document)


PREFETCHERS: dict[str, Prefetcher] = {
    "Update": prefetch_update,
    "Announce": prefetch_announce,
}


async def prefetch(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    client: FederationClient,
    sender_ap_id: str,
    activity: dict[str, Any],
) -> None:
    """Fetch what `activity` needs from other servers before it is applied (nothing for
    most types); each database step in a short transaction of its own."""
    step = PREFETCHERS.get(str(activity.get("type")))
    if step is None:
        return
    async with sessions() as session:
        sender = await session.scalar(select(Actor).where(Actor.ap_id == sender_ap_id))
    if sender is None:
        raise LookupError(f"no cached actor {sender_ap_id}")
    remote = RemoteActors(sessions, settings, client)
    await step(Prefetch(sessions, settings, remote, sender, activity))
