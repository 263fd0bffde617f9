"""How events federate: a published event is an Event object from the events actor.

Human pages live at `/<calendar>/<event>/`.
"""

from __future__ import annotations

import html as html_lib
from datetime import UTC, datetime

from shared.contracts.dtos import FederatedObject
from shared.contracts.events import EventContext, EventPublished
from shared.models.events import Event, EventStatus
from shared.services.federating import federate, fresh, plain_text


def event_object_of(event: Event) -> FederatedObject:
    summary = plain_text(event.description) or event.title
    return FederatedObject(
        app="events",
        key=f"events/{event.id}",
        type="Event",
        name=event.title,
        summary=summary,
        content_html=f"<p>{html_lib.escape(event.description)}</p>" if event.description else "",
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
