"""Finding products: full text, filters, sort, pages, category pages and empty states."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.market import Category
from tests.market.conftest import MarketAs, text
from tests.support.factories import add, make_product, make_stall


def titles(html: str) -> list[str]:
    return re.findall(
        r'class="product-card__title card__title">\s*<a href="[^"]+">([^<]+)</a>', html
    )


async def test_search_matches_words_filters_and_sorts(
    market_as: MarketAs, db: AsyncSession
) -> None:
    food = Category(slug="food", name="Food")
    await add(db, food)
    honey = Category(slug="honey", name="Honey", parent_id=food.id)
    crafts = Category(slug="crafts", name="Crafts")
    await add(db, honey, crafts)
    bees = await make_stall(db, "Marsh Honey", slug="bees")
    pots = await make_stall(db, "Hartley Ceramics", slug="pots")
    await make_product(
        db, bees, "Heather honey", 950, category_id=honey.id, description="Dark honey"
    )
    await make_product(db, bees, "Clover honey", 650, category_id=honey.id)
    await make_product(db, bees, "Honey dipper", 400, category_id=crafts.id, stock=0)
    await make_product(db, pots, "Honey pot", 2400, category_id=crafts.id)
    await make_product(db, pots, "Draft honey jar", 100, status="draft")
    await make_stall(db, "Pending", slug="pending", status="pending")
    client = await market_as(None)

    page = await text(await client.get("/search/?q=honey&sort=price_asc"))
    assert titles(page) == ["Honey dipper", "Clover honey", "Heather honey", "Honey pot"]
    page = await text(await client.get("/search/?q=honey&sort=price_desc&in_stock=1"))
    assert titles(page) == ["Honey pot", "Heather honey", "Clover honey"]
    page = await text(await client.get("/search/?q=honey&category=food"))  # and below
    assert sorted(titles(page)) == ["Clover honey", "Heather honey"]
    page = await text(await client.get("/search/?stall=pots"))
    assert titles(page) == ["Honey pot"]
    page = await text(await client.get("/search/?min_price=5&max_price=10&sort=price_asc"))
    assert titles(page) == ["Clover honey", "Heather honey"]
    page = await text(await client.get("/categories/crafts/"))
    assert sorted(titles(page)) == ["Honey dipper", "Honey pot"] and "<h1>Crafts</h1>" in page


async def test_results_come_in_pages(market_as: MarketAs, db: AsyncSession) -> None:
    stall = await make_stall(db, "Bakery")
    for index in range(30):
        await make_product(db, stall, f"Loaf {index:02d}", 400 + index)
    client = await market_as(None)
    first = await text(await client.get("/search/?q=loaf&sort=price_asc"))
    assert len(titles(first)) == 24 and "Page 1 of 2" in first and 'rel="next"' in first
    second = await text(await client.get("/search/?q=loaf&sort=price_asc&page=2"))
    assert titles(second) == [f"Loaf {i:02d}" for i in range(24, 30)]


async def test_nothing_found_says_what_to_do(market_as: MarketAs) -> None:
    page = await text(await (await market_as(None)).get("/search/?q=zebra"))
    assert "Nothing found" in page and "Try fewer words" in page


async def test_bad_search_parameters_are_a_clear_400(market_as: MarketAs) -> None:
    client = await market_as(None)
    for query, words in (
        ("min_price=-1", "min_price must be a price"),
        ("max_price=abc", "max_price must be a price"),
        ("sort=sideways", "sort must be one of"),
        ("page=%C2%B2", "page must be a whole number"),
        ("q=" + "a" * 300, "at most 200"),
    ):
        response = await client.get(f"/search/?{query}")
        assert response.status_code == 400, query
        assert words in await text(response), query
    assert (await client.get("/categories/no-such/")).status_code == 404


async def test_a_search_finds_products_by_the_name_of_their_category(
    market_as: MarketAs, db: AsyncSession
) -> None:
    food = Category(slug="food", name="Food")
    await add(db, food)
    bread = Category(slug="bread", name="Bread", parent_id=food.id)
    await add(db, bread)
    bakery = await make_stall(db, "Okafor Bakery")
    await make_product(db, bakery, "Country sourdough", 450, category_id=bread.id)
    await make_product(db, bakery, "Seeded rye", 500, category_id=bread.id)
    await make_product(db, bakery, "Bread knife", 1500, description="Cuts a loaf.")
    await make_product(db, bakery, "Apron", 2000)
    client = await market_as(None)

    loaves = await text(await client.get("/search/?q=bread"))
    everything_food = await text(await client.get("/search/?q=food&sort=price_asc"))

    # Its own title ranks first; then the loaves filed under Bread.
    assert titles(loaves)[0] == "Bread knife"
    assert sorted(titles(loaves)[1:]) == ["Country sourdough", "Seeded rye"]
    assert "3 products" in loaves
    assert titles(everything_food) == ["Country sourdough", "Seeded rye"]  # Food > Bread
