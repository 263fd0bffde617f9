"""The note a listed product federates as: its price, and its unit price beside it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.market import Product, ProductVariant
from shared.services.federating import fresh
from shared.services.market_federation import note_of
from tests.support.factories import add, make_product, make_stall


async def test_the_note_states_the_cheapest_variants_unit_price(db: AsyncSession) -> None:
    stall = await make_stall(db, "Marsh Honey", slug="marsh-honey")
    product = await make_product(db, stall, "Heather honey", 850, slug="heather-honey")
    await add(
        db,
        ProductVariant(
            product_id=product.id,
            name="1 kg",
            price_minor=2200,
            measure_quantity=1000,
            measure_unit="g",
        ),
    )
    first = await fresh(db, Product, product.id)
    assert first is not None
    cheapest = min(first.variants, key=lambda v: v.price_minor)
    cheapest.measure_quantity, cheapest.measure_unit = 340, "g"
    await db.flush()
    loaded = await fresh(db, Product, product.id)
    assert loaded is not None

    note = note_of(loaded)

    assert "Heather honey, from £8.50 (£25.00 per kg)" in note.content_html
    assert note.path == "/stalls/marsh-honey/heather-honey/"


async def test_a_product_without_a_measure_has_no_unit_price_in_its_note(
    db: AsyncSession,
) -> None:
    stall = await make_stall(db, "Hartley Ceramics")
    product = await make_product(db, stall, "Mug", 1800)
    loaded = await fresh(db, Product, product.id)
    assert loaded is not None

    content = note_of(loaded).content_html

    assert "Mug, £18.00</p>" in content and " per " not in content
