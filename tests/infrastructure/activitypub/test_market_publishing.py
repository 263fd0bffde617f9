"""The market federates from its actor: listing a product sends Create, an edit Update,
archiving Delete; each note links to the product page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.market import NewProduct, NewVariant
from shared.infrastructure.config import Settings
from shared.infrastructure.fragment_cache import FragmentCache
from shared.infrastructure.uow import UnitOfWork
from shared.models.activitypub import Activity
from shared.services.handlers import event_handlers
from shared.services.registry import Services, wire_services
from tests.support.factories import make_stall


@pytest.fixture
def wired(ap_settings: Settings) -> Services:
    return wire_services(ap_settings)


@pytest.fixture
def unit(db: AsyncSession, redis: Redis) -> Callable[[], UnitOfWork]:
    cache = FragmentCache(redis, keep_stale=60, timeout=1.0)
    return lambda: UnitOfWork(db, handlers=event_handlers(), fragments=cache)


def honey(title: str) -> NewProduct:
    return NewProduct(
        title=title,
        slug="heather-honey",
        variants=(
            NewVariant("340 g", 850, measure_quantity=340, measure_unit="g"),
            NewVariant("1 kg", 2200, measure_quantity=1000, measure_unit="g"),
        ),
    )


async def test_list_edit_and_archive_send_create_update_and_delete(
    db: AsyncSession, wired: Services, unit: Callable[[], UnitOfWork], ap_settings: Settings
) -> None:
    stall = await make_stall(db, "Marsh Honey")
    async with unit():
        product = await wired.market.create_product(db, stall.id, honey("Heather honey"))
    async with unit():
        await wired.market.set_product_status(db, product.id, "listed")
    async with unit():
        await wired.market.update_product(db, product.id, honey("Ling heather honey"))
    async with unit():
        await wired.market.set_product_status(db, product.id, "archived")
    activities = list(
        await db.scalars(
            select(Activity).where(Activity.direction == "outbound").order_by(Activity.id)
        )
    )
    assert [a.type for a in activities] == ["Create", "Update", "Delete"]
    base = ap_settings.apps["market"].base_url
    create, update = activities[0].payload["object"], activities[1].payload["object"]
    assert create["url"] == f"{base}/stalls/{stall.slug}/heather-honey/"
    assert "from £8.50" in create["content"]
    assert "Ling heather honey" in update["content"]


async def test_a_draft_edited_or_archived_sends_nothing(
    db: AsyncSession, wired: Services, unit: Callable[[], UnitOfWork]
) -> None:
    stall = await make_stall(db, "Marsh Honey")
    async with unit():
        product = await wired.market.create_product(db, stall.id, honey("Heather honey"))
    async with unit():
        await wired.market.update_product(db, product.id, honey("Other"))
        await wired.market.set_product_status(db, product.id, "archived")
    assert (await db.scalars(select(Activity.id))).first() is None
