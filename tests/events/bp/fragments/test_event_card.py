"""The event card a blog post embeds, as the blog receives it from events."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from shared.infrastructure.internal import InternalAuth
from tests.conftest import TEST_SECRET_KEY, ClientFactory
from tests.support.factories import make_calendar, make_event, now

AUTH = InternalAuth.from_secret(TEST_SECRET_KEY)


async def test_a_published_event_shows_its_next_date_and_place(
    db: AsyncSession, client_for: ClientFactory
) -> None:
    starts = now() + timedelta(days=3)
    event = await make_event(
        db, await make_calendar(db), "Lantern walk", starts, location="Marsh Lane"
    )
    client = await client_for("events")
    response = await client.get(
        f"/internal/fragments/event-card?id={event.id}", headers=AUTH.headers(None)
    )
    html = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Lantern walk" in html and "Marsh Lane" in html and "<time" in html


async def test_an_unknown_event_is_empty(client_for: ClientFactory) -> None:
    client = await client_for("events")
    response = await client.get(
        "/internal/fragments/event-card?id=424242", headers=AUTH.headers(None)
    )
    assert response.status_code == 200 and (await response.get_data(as_text=True)) == ""
