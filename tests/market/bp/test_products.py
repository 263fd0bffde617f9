"""The product page's variant picker: what a buyer can pick, and what is picked for them."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.market import ProductVariant
from tests.market.conftest import MarketAs, text
from tests.support.factories import add, make_product, make_stall


def radios(html: str) -> list[str]:
    return re.findall(r'<input type="radio" name="variant_id"[^>]*>', html)


async def test_the_first_variant_still_to_be_had_is_picked(
    market_as: MarketAs, db: AsyncSession
) -> None:
    stall = await make_stall(db, "Okafor Bakery", slug="bakery")
    bread = await make_product(db, stall, "Sourdough", 450, slug="sourdough", stock=0)
    await add(
        db,
        ProductVariant(product_id=bread.id, name="Large", price_minor=600, stock=0, position=1),
        ProductVariant(product_id=bread.id, name="Family", price_minor=900, stock=4, position=2),
    )

    page = await text(await (await market_as(None)).get("/stalls/bakery/sourdough/"))

    small, large, family = radios(page)
    assert "disabled" in small and "checked" not in small
    assert "disabled" in large and "checked" not in large
    assert "checked" in family and "disabled" not in family
    assert "Only 4 left" in page and "Add to cart</button>" in page


async def test_a_sold_out_product_offers_no_quantity_to_add(
    market_as: MarketAs, db: AsyncSession
) -> None:
    stall = await make_stall(db, "Marsh Honey", slug="bees")
    await make_product(db, stall, "Candles", 1200, slug="candles", stock=0)

    page = await text(await (await market_as(None)).get("/stalls/bees/candles/"))

    assert "Sold out." in page
    assert 'name="quantity"' not in page and "Add to cart</button>" not in page
    assert all("checked" not in radio for radio in radios(page))
