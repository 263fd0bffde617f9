"""Unit prices (EU Directive 98/6/EC) beside every price the cart shows a buyer: the
cart page, the checkout form, and the order page, which keeps the price paid."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.infrastructure.config import Settings
from shared.models.cart import Order
from shared.models.market import Product, ProductVariant
from tests.conftest import AppFactory
from tests.support.cart_web import cart_app, csrf, viewer_of
from tests.support.factories import make_product, make_stall, make_user

FROM_MARKET = {"Origin": "http://market.localhost:8002", "Sec-Fetch-Site": "same-site"}


async def _measured(db: AsyncSession) -> tuple[Product, Product]:
    stall = await make_stall(db, "Marsh Honey")
    honey = await make_product(db, stall, "Heather honey", 850, stock=10)
    honey.variants[0].name, honey.variants[0].measure_quantity = "340 g", 340
    honey.variants[0].measure_unit = "g"
    mug = await make_product(db, stall, "Mug", 1800, stock=5)
    await db.flush()
    return honey, mug


async def test_the_cart_checkout_and_order_show_unit_prices(
    make_app: AppFactory, cart_settings: Settings, db: AsyncSession
) -> None:
    honey, mug = await _measured(db)
    member = await make_user(db)
    app, who = await cart_app(make_app, cart_settings)
    who.viewer = viewer_of(member)
    client = app.test_client()
    for product in (honey, mug):
        added = await client.post(
            "/lines", form={"product_id": str(product.id), "quantity": "2"}, headers=FROM_MARKET
        )
        assert added.status_code == 303

    cart = await (await client.get("/")).get_data(as_text=True)
    assert re.search(r"£8\.50\s*<small class=\"unit-price\">\(£25\.00 per kg\)</small>", cart)
    assert cart.count("unit-price") == 1  # the mug has no measure, so no unit price

    checkout = await (await client.get("/checkout")).get_data(as_text=True)
    assert "Heather honey" in checkout and "£8.50 each" in checkout
    assert "(£25.00 per kg)" in checkout

    placed = await client.post(
        "/checkout",
        form={
            "csrf_token": await csrf(client, "/checkout"),
            "email": "buyer@example.test",
            "name": "Buyer",
            f"method_{honey.stall_id}": "pickup",
        },
    )
    assert placed.status_code == 303, await placed.get_data(as_text=True)
    # A later price change does not rewrite what the order says was paid.
    variant = await db.scalar(select(ProductVariant).where(ProductVariant.product_id == honey.id))
    assert variant is not None
    variant.price_minor = 1020
    await db.flush()
    order_page = await (await client.get(placed.headers["Location"])).get_data(as_text=True)
    assert "(£25.00 per kg)" in order_page and "£30.00 per kg" not in order_page
    order = await db.scalar(select(Order))
    assert order is not None and order.total_minor == 2 * 850 + 2 * 1800


async def test_the_add_to_cart_confirmation_shows_the_chosen_variants_unit_price(
    make_app: AppFactory, cart_settings: Settings, db: AsyncSession
) -> None:
    honey, mug = await _measured(db)
    jar = ProductVariant(
        product_id=honey.id,
        name="1 kg",
        price_minor=2200,
        measure_quantity=1000,
        measure_unit="g",
        position=1,
    )
    db.add(jar)
    await db.flush()
    app, _ = await cart_app(make_app, cart_settings)
    client = app.test_client()

    first = await (await client.get(f"/lines/new?product_id={honey.id}")).get_data(as_text=True)
    chosen = await (
        await client.get(f"/lines/new?product_id={honey.id}&variant_id={jar.id}")
    ).get_data(as_text=True)
    plain = await (await client.get(f"/lines/new?product_id={mug.id}")).get_data(as_text=True)

    assert "£8.50 each" in first and "(£25.00 per kg)" in first
    assert "£22.00 each" in chosen and "(£22.00 per kg)" in chosen
    assert "£18.00 each" in plain and "unit-price" not in plain
