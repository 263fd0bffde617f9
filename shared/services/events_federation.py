"""How events federate: a published event is an Event object from the events actor.

Human pages live at `/<calendar>/<event>/`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from shared.contracts.dtos import FederatedObject
from shared.contracts.events import EventCancelled, EventChanged, EventContext, EventPublished
from shared.models.events import Event, EventStatus
from shared.services.federating import federate, federation, fresh, plain_text


def event_object_of(event: Event) -> FederatedObject:
    summary = plain_text(event.description) or event.title
    return FederatedObject(
        app="events",
        key=f"events/{event.id}",
        type="Event",
        name=event.title,
        summary=summary,
        # The description is sanitized HTML already (shared.infrastructure.html).
        content_html=event.description,
        path=f"/{event.calendar.slug}/{event.slug}/",
        published_at=event.created_at or datetime.now(UTC),
        updated_at=datetime.now(UTC),
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        location=event.location or None,
    )


async def federate_published_event(event: EventPublished, ctx: EventContext) -> None:
    """Create the Event object the first time, Update it when it is announced again."""
    row = await fresh(ctx.session, Event, event.event_id)
    if row is not None and row.status == EventStatus.PUBLISHED:
        await federate(ctx.session, event_object_of(row))


def _key(event_id: int) -> str:
    return f"events/{event_id}"


async def federate_changed_event(event: EventChanged, ctx: EventContext) -> None:
    """Update the Event object of a federated event; a never-federated one stays local."""
    row = await fresh(ctx.session, Event, event.event_id)
    if row is None or row.status != EventStatus.PUBLISHED:
        return
    if await federation().is_published(ctx.session, "events", _key(row.id)):
        await federation().publish(ctx.session, event_object_of(row), "Update")


async def federate_cancelled_event(event: EventCancelled, ctx: EventContext) -> None:
    """Delete the Event object of a federated event that was cancelled."""
    row = await fresh(ctx.session, Event, event.event_id)
    if row is None or not await federation().is_published(ctx.session, "events", _key(row.id)):
        return
    tombstone = replace(event_object_of(row), content_html="", summary="")
    await federation().publish(ctx.session, tombstone, "Delete")
