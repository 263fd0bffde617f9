"""Outbox, followers and following as OrderedCollection with OrderedCollectionPage pages.

The collection itself carries `totalItems` and links `first`/`last`; pages
are `?page=1`, `?page=2`, ... newest first, with `partOf`, `next`, `prev`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from shared.infrastructure.activitypub.actors import AS_CONTEXT, PUBLIC
from shared.models.activitypub import Activity, Actor, Follow

PAGE_SIZE = 20
PUBLIC_TYPES = ("Create", "Update", "Delete", "Announce")


def _outbox(actor: Actor) -> Select[Any]:
    return (
        select(Activity.payload)
        .where(
            Activity.actor_id == actor.id,
            Activity.direction == "outbound",
            Activity.type.in_(PUBLIC_TYPES),
            Activity.payload["to"].contains([PUBLIC]),
        )
        .order_by(Activity.id.desc())
    )


def _followers(actor: Actor) -> Select[Any]:
    other = aliased(Actor)
    return (
        select(other.ap_id)
        .join(Follow, Follow.follower_id == other.id)
        .where(Follow.following_id == actor.id, Follow.status == "accepted")
        .order_by(Follow.id.desc())
    )


def _following(actor: Actor) -> Select[Any]:
    other = aliased(Actor)
    return (
        select(other.ap_id)
        .join(Follow, Follow.following_id == other.id)
        .where(Follow.follower_id == actor.id, Follow.status == "accepted")
        .order_by(Follow.id.desc())
    )


QUERIES = {"outbox": _outbox, "followers": _followers, "following": _following}


async def count_of(session: AsyncSession, actor: Actor, name: str) -> int:
    query = QUERIES[name](actor).order_by(None)
    return int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)


async def collection_document(
    session: AsyncSession, actor: Actor, name: str, url: str, page: int | None
) -> dict[str, Any]:
    """The collection (page None) or one page of it; pages past the end are empty."""
    total = await count_of(session, actor, name)
    last = max(1, -(-total // PAGE_SIZE))
    if page is None:
        return {
            "@context": AS_CONTEXT,
            "id": url,
            "type": "OrderedCollection",
            "totalItems": total,
            "first": f"{url}?page=1",
            "last": f"{url}?page={last}",
        }
    page = max(1, page)
    items = list(
        await session.scalars(QUERIES[name](actor).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    )
    document: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": f"{url}?page={page}",
        "type": "OrderedCollectionPage",
        "partOf": url,
        "totalItems": total,
        "orderedItems": [_without_context(item) for item in items],
    }
    if page < last:
        document["next"] = f"{url}?page={page + 1}"
    if page > 1:
        document["prev"] = f"{url}?page={page - 1}"
    return document


def _without_context(item: Any) -> Any:
    if isinstance(item, dict):
        return {key: value for key, value in item.items() if key != "@context"}
    return item
