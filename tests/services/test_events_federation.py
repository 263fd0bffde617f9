"""Events federate: Create when published, Update when changed, Delete when cancelled."""

from __future__ import annotations

from datetime import timedelta

from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.infrastructure.config import Settings
from shared.models.activitypub import Activity
from shared.services.events.editing import cancel_event, update_event
from shared.services.events.forms import EventInput
from shared.services.registry import services
from tests.support.factories import make_calendar, make_event, now
from tests.support.units import unit_of_work


async def test_publish_change_and_cancel_federate_create_update_delete(
    db: AsyncSession, settings: Settings, redis: Redis
) -> None:
    calendar = await make_calendar(db)
    event = await make_event(db, calendar, "Fete", now() + timedelta(days=20), status="draft")
    async with unit_of_work(db, settings, redis):
        await services.events.publish_event(db, event.id)
    data = EventInput(
        title="Fete (moved indoors)",
        description="<p>Rain plan</p>",
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        time_zone="Europe/London",
        all_day=False,
        location="Hall",
        map_url="",
        online_url="",
        tags=(),
        capacity=None,
        rrule=None,
    )
    async with unit_of_work(db, settings, redis):
        await update_event(db, event, data, publish=True)
    async with unit_of_work(db, settings, redis):
        await cancel_event(db, event)

    activities = list(
        await db.scalars(
            select(Activity).where(Activity.direction == "outbound").order_by(Activity.id)
        )
    )
    assert [a.type for a in activities] == ["Create", "Update", "Delete"]
    assert activities[0].payload["object"]["type"] == "Event"
    assert activities[1].payload["object"]["name"] == "Fete (moved indoors)"
    assert "Hall" in str(activities[1].payload["object"]["location"])
