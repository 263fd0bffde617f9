"""The outbox table: what we publish is a row in `ap_activities`, written in the caller's
transaction, and the EventProcessor delivers it after the commit.

Builders here turn domain objects into ActivityStreams JSON. Articles and
Events carry `name`, a plain-text `summary` and `url`: Mastodon shows only
those for such types (reference §1.7).
"""

from __future__ import annotations

import html
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import FederatedObject
from shared.infrastructure.activitypub.actors import AS_CONTEXT, PUBLIC, absolute_url
from shared.models.activitypub import Activity, ActivityState, Actor, ApObject, Direction

CONTEXT: list[Any] = [AS_CONTEXT, {"Hashtag": "as:Hashtag"}]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def new_activity_id(actor: Actor) -> str:
    return f"{origin(actor.ap_id)}/activities/{uuid.uuid4()}"


def object_id(actor: Actor, key: str) -> str:
    return f"{origin(actor.ap_id)}/objects/{key}"


NOTIFY_CHANNEL = "rose_ash_activitypub"


async def notify(session: AsyncSession, kind: str) -> None:
    """Wake the EventProcessor when this transaction commits ("outbound" or
    "deliveries"); workers also poll, so a lost notification only costs latency."""
    await session.execute(
        text("SELECT pg_notify(:channel, :kind)"), {"channel": NOTIFY_CHANNEL, "kind": kind}
    )


async def enqueue_activity(
    session: AsyncSession, actor: Actor, activity: dict[str, Any]
) -> Activity:
    """Add an outbound activity (id, actor and context filled in) for the processor to deliver."""
    activity.setdefault("@context", AS_CONTEXT)
    activity.setdefault("id", new_activity_id(actor))
    activity["actor"] = actor.ap_id
    target = activity.get("object")
    row = Activity(
        ap_id=activity["id"],
        direction=Direction.OUTBOUND,
        type=str(activity["type"]),
        actor_id=actor.id,
        object_ap_id=target.get("id") if isinstance(target, dict) else target,
        payload=activity,
        status=ActivityState.PENDING,
    )
    session.add(row)
    await session.flush()
    await notify(session, "outbound")
    return row


def _link(url: str) -> str:
    # Mastodon shows a Note's content, not its url: the link goes in the text.
    escaped = html.escape(url)
    return f'<p><a href="{escaped}">{escaped}</a></p>'


def object_document(actor: Actor, item: FederatedObject) -> dict[str, Any]:
    base = origin(actor.ap_id)
    document: dict[str, Any] = {
        "id": object_id(actor, item.key),
        "type": item.type,
        "attributedTo": actor.ap_id,
        "content": item.content_html + (_link(base + item.path) if item.type == "Note" else ""),
        "url": base + item.path,
        "published": iso(item.published_at),
        "to": [PUBLIC],
        "cc": [actor.followers_url],
    }
    if item.name:
        document["name"] = item.name
    if item.summary:
        document["summary"] = item.summary
    if item.updated_at:
        document["updated"] = iso(item.updated_at)
    if item.tags:
        document["tag"] = [
            {
                "type": "Hashtag",
                "name": "#" + "".join(t.split()),
                "href": f"{base}/tag/{t.lower()}/",
            }
            for t in item.tags
        ]
    if item.image_url:
        document["image"] = {"type": "Image", "url": absolute_url(base, item.image_url)}
    if item.starts_at:
        document["startTime"] = iso(item.starts_at)
    if item.ends_at:
        document["endTime"] = iso(item.ends_at)
    if item.location:
        document["location"] = {"type": "Place", "name": item.location}
    return document


async def publish_object(
    session: AsyncSession, actor: Actor, item: FederatedObject, verb: str
) -> Activity:
    """Create, Update or Delete `item` as `actor`: the object row and the activity, both in
    the caller's transaction. `verb` is "Create", "Update" or "Delete"."""
    document = object_document(actor, item)
    stored = await session.scalar(select(ApObject).where(ApObject.ap_id == document["id"]))
    now = datetime.now(UTC)
    if stored is None:
        stored = ApObject(ap_id=document["id"], actor_id=actor.id, is_local=True)
        session.add(stored)
    stored.type = item.type
    stored.payload = {"@context": CONTEXT, **document}
    stored.content_html = item.content_html
    stored.summary = item.summary
    stored.url = document["url"]
    stored.published_at = item.published_at
    stored.updated_at = item.updated_at if verb == "Update" else stored.updated_at
    stored.deleted_at = now if verb == "Delete" else None
    await session.flush()
    addressing = {"to": [PUBLIC], "cc": [actor.followers_url]}
    target: dict[str, Any] = document
    if verb == "Delete":
        target = {"id": document["id"], "type": "Tombstone", "formerType": item.type}
    return await enqueue_activity(
        session,
        actor,
        {"@context": CONTEXT, "type": verb, "object": target, "published": iso(now), **addressing},
    )


async def is_federated(session: AsyncSession, actor_ap_id: str, key: str) -> bool:
    """Whether our actor's object `key` was published and not deleted since (a read only:
    the actor's row need not exist)."""
    ap_id = f"{origin(actor_ap_id)}/objects/{key}"
    found = await session.execute(select(ApObject.deleted_at).where(ApObject.ap_id == ap_id))
    row = found.first()
    return row is not None and row.deleted_at is None
