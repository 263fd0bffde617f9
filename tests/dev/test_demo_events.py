"""The demo's container calendars: the events app lists the Saturday market page's
calendar and the Marsh Honey stall's open days for the market to show on those pages."""

from __future__ import annotations

from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.infrastructure.config import Settings
from shared.infrastructure.internal import InternalAuth
from shared.models.market import MarketPage, Stall
from tests.conftest import TEST_SECRET_KEY, ClientFactory
from tests.dev.test_seed import seeded

AUTH = InternalAuth.from_secret(TEST_SECRET_KEY)


async def _container_events(client_for: ClientFactory, kind: str, container_id: int) -> str:
    client = await client_for("events")
    response = await client.get(
        "/internal/fragments/upcoming-events",
        query_string={"container_type": kind, "container_id": str(container_id), "limit": "4"},
        headers=AUTH.headers(),
    )
    assert response.status_code == 200
    return await response.get_data(as_text=True)


async def test_the_saturday_market_page_and_the_honey_stall_have_calendars(
    db: AsyncSession, settings: Settings, client_for: ClientFactory, redis: Redis
) -> None:
    await seeded(db, settings, redis)
    page = await db.scalar(select(MarketPage).where(MarketPage.slug == "saturday-market"))
    stall = await db.scalar(select(Stall).where(Stall.slug == "marsh-honey"))
    assert page is not None and stall is not None

    on_page = await _container_events(client_for, "market_page", page.id)
    on_stall = await _container_events(client_for, "stall", stall.id)

    assert "Saturday market" in on_page and "Ash Lane Community Hall" in on_page
    assert "Open apiary" not in on_page
    assert "Open apiary" in on_stall and "Saturday market" not in on_stall
