"""The market's demo data: three approved stalls with stories and pickup details, products
in variants (unit prices, stock, one made to order, one sold out), a category tree and a
market page ("Saturday market at the hall") with its chosen stalls and products."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.identity import User
from shared.models.market import (
    Category,
    MarketPage,
    MarketPageProduct,
    MarketPageStall,
    Product,
    ProductVariant,
    Stall,
    StallStatus,
)

STALLS: list[dict[str, Any]] = [
    {
        "slug": "hartley-ceramics",
        "name": "Hartley Ceramics",
        "owner": "ben",
        "description": "Stoneware for everyday use, thrown in Ben's garden studio.",
        "story": "<p>Ben throws every piece on a kick wheel in a shed at the end of his "
        "garden, and fires with wood twice a year.</p>",
        "location": "Ash Lane, unit 4",
        "pickup": "Collect on Saturdays 10:00 to 13:00 at the hall, or by arrangement.",
        "products": [
            (
                "breakfast-bowl",
                "Breakfast bowl",
                "crafts",
                [
                    ("Small", "HC-BB-S", 2200, 8, False, 1, "item"),
                    ("Large", "HC-BB-L", 2600, 4, False, 1, "item"),
                ],
            ),
            (
                "stoneware-mug",
                "Stoneware mug",
                "crafts",
                [
                    ("Single", "HC-MUG-1", 1800, 30, False, 1, "item"),
                    ("Set of four", "HC-MUG-4", 6500, 5, False, 4, "item"),
                ],
            ),
            (
                "serving-platter",
                "Serving platter",
                "crafts",
                [
                    ("Made to order", "HC-PLAT", 5500, None, True, 1, "item"),
                ],
            ),
        ],
    },
    {
        "slug": "marsh-honey",
        "name": "Marsh Honey",
        "owner": "cleo",
        "description": "Raw honey and beeswax from hives on the marsh edge.",
        "story": "<p>Twelve hives on the edge of the marsh. The honey is spun, strained "
        "once and jarred, nothing more.</p>",
        "location": "Marsh End Farm",
        "pickup": "Pickup from the farm gate honesty box, or at the Saturday market.",
        "products": [
            (
                "wildflower-honey-340g",
                "Wildflower honey",
                "honey",
                [
                    ("340 g", "MH-WF-340", 850, 40, False, 340, "g"),
                    ("1 kg", "MH-WF-1000", 2200, 12, False, 1000, "g"),
                ],
            ),
            (
                "beeswax-candle-pair",
                "Beeswax candle pair",
                "crafts",
                [
                    ("Pair", "MH-CANDLE", 1200, 0, False, 2, "item"),
                ],
            ),
        ],
    },
    {
        "slug": "okafor-bakery",
        "name": "Okafor Bakery",
        "owner": "ada",
        "description": "Naturally leavened bread, baked on Saturday mornings.",
        "story": "<p>Ada bakes in a wood-fired oven from 4 a.m. on Saturdays; what is left "
        "at noon goes to the food bank.</p>",
        "location": "The old forge, Ash Lane",
        "pickup": "Pre-ordered loaves wait at the bakery door from 8:00 on Saturday.",
        "products": [
            (
                "country-sourdough",
                "Country sourdough",
                "bread",
                [
                    ("800 g loaf", "OB-CS-800", 450, 20, False, 800, "g"),
                    ("1.5 kg miche", "OB-CS-1500", 800, 6, False, 1500, "g"),
                ],
            ),
            (
                "seeded-rye",
                "Seeded rye",
                "bread",
                [
                    ("750 g", "OB-RYE", 500, 15, False, 750, "g"),
                ],
            ),
            (
                "cinnamon-buns-four",
                "Cinnamon buns (four)",
                "bread",
                [
                    ("Box of four", "OB-BUN-4", 800, 10, False, 4, "item"),
                ],
            ),
        ],
    },
]

CATEGORIES = [("food", "Food", None), ("bread", "Bread", "food"), ("honey", "Honey", "food"),
              ("crafts", "Crafts", None)]  # fmt: skip


async def seed_market(
    session: AsyncSession, users: dict[str, User], at: Callable[[int, int], datetime]
) -> None:
    categories: dict[str, Category] = {}
    for slug, name, parent in CATEGORIES:  # parents come first
        parent_id = categories[parent].id if parent else None
        categories[slug] = Category(slug=slug, name=name, parent_id=parent_id)
        session.add(categories[slug])
        await session.flush()
    page = MarketPage(
        slug="saturday-market",
        title="Saturday market at the hall",
        html="<p>Every Saturday from 10:00 in Ash Lane Community Hall: bread from the "
        "forge, honey from the marsh, pots from Ben's shed. Pre-order here and collect "
        "at the stalls.</p>",
        is_published=True,
    )
    session.add(page)
    for offset, spec in enumerate(STALLS):
        stall = Stall(
            slug=spec["slug"],
            name=spec["name"],
            description=spec["description"],
            story=spec["story"],
            location=spec["location"],
            pickup_details=spec["pickup"],
            owner_id=users[spec["owner"]].id,
            status=StallStatus.APPROVED,
        )
        session.add(stall)
        products = []
        for index, (product_slug, title, category, variants) in enumerate(spec["products"]):
            product = Product(
                stall=stall,
                category=categories[category],
                slug=product_slug,
                title=title,
                description=f"<p>{title} from {spec['name']}.</p>",
                currency="GBP",
                status="listed",
                created_at=at(-offset * 4 - index, 12),
                variants=[
                    ProductVariant(
                        name=name, sku=sku, price_minor=price, stock=stock,
                        made_to_order=made, measure_quantity=qty, measure_unit=unit,
                        position=position,
                    )
                    for position, (name, sku, price, stock, made, qty, unit) in enumerate(variants)
                ],
            )  # fmt: skip
            session.add(product)
            products.append(product)
        await session.flush()
        session.add(MarketPageStall(page_id=page.id, stall_id=stall.id, position=offset))
        session.add(MarketPageProduct(page_id=page.id, product_id=products[0].id, position=offset))
