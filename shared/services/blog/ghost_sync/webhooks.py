"""Ghost's webhooks into durable jobs: the delivery only says *what* changed; the job
refetches it from the Admin API, so a forged-looking, stale or out-of-order payload
never writes anything by itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.infrastructure.jobs import enqueue

WEBHOOK_KIND = "blog.ghost_webhook"

HANDLED_EVENTS = (
    "post.published",
    "post.published.edited",
    "post.unpublished",
    "post.deleted",
    "page.published",
    "page.published.edited",
    "page.unpublished",
    "page.deleted",
    "tag.added",
    "tag.edited",
    "tag.deleted",
)


class BadWebhook(ValueError):
    """A delivery we cannot act on; the message names what is wrong."""


@dataclass(frozen=True, slots=True)
class Delivery:
    resource: str  # post, page, tag
    ghost_id: str
    version: str  # the payload's updated_at ("deleted" for a deletion)

    @property
    def key(self) -> str:
        # Identical deliveries (Ghost retries, duplicates) make one job.
        return f"ghost:{self.resource}:{self.ghost_id}:{self.version}"


def parse_delivery(event: str, payload: Any) -> Delivery:
    if event not in HANDLED_EVENTS:
        raise BadWebhook(f"the event {event!r} is not one the blog handles")
    resource = event.split(".", 1)[0]
    body = payload.get(resource) if isinstance(payload, dict) else None
    if not isinstance(body, dict):
        raise BadWebhook(f"the payload has no {resource!r} object")
    current = body.get("current") or {}
    previous = body.get("previous") or {}
    if not isinstance(current, dict) or not isinstance(previous, dict):
        raise BadWebhook(f"the {resource!r} object's current and previous must be objects")
    ghost_id = current.get("id") or previous.get("id")
    if not isinstance(ghost_id, str) or not ghost_id:
        raise BadWebhook(f"the {resource!r} object has no id")
    version = "deleted" if event.endswith(".deleted") else str(current.get("updated_at") or "")
    return Delivery(resource, ghost_id, version)


async def enqueue_delivery(session: AsyncSession, delivery: Delivery) -> int | None:
    """The job that refetches and applies it; None when an identical one is queued."""
    payload = {"resource": delivery.resource, "ghost_id": delivery.ghost_id}
    return await enqueue(session, WEBHOOK_KIND, payload, key=delivery.key)
