"""The cart summary: live prices, quantities and one subtotal per currency."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.dtos import Money, NewCartLine
from shared.contracts.errors import CartItemUnavailable
from shared.models.cart import Cart, CartLine
from shared.models.events import TicketType
from shared.models.market import ProductVariant
from shared.services.cart import SqlCartService
from tests.support.factories import (
    add,
    make_calendar,
    make_event,
    make_product,
    make_stall,
    make_user,
    now,
)

carts = SqlCartService()


async def test_no_cart_is_an_empty_summary(db: AsyncSession) -> None:
    summary = await carts.get_cart_summary(db, user_id=None, anon_token="nobody")
    assert summary.is_empty and summary.item_count == 0 and summary.subtotals == ()


async def test_an_anonymous_cart_totals_products_and_tickets(db: AsyncSession) -> None:
    stall = await make_stall(db, "Hartley Ceramics")
    mug = await make_product(db, stall, "Mug", 1800)
    event = await make_event(
        db, await make_calendar(db), "Winter market", now() + timedelta(days=3)
    )
    walk = TicketType(event_id=event.id, name="Lantern walk", price_minor=500)
    cart = Cart(anon_token="anon-1")
    await add(db, walk, cart)
    await add(
        db,
        CartLine(cart_id=cart.id, product_id=mug.id, variant_id=mug.variants[0].id, quantity=2),
        CartLine(cart_id=cart.id, ticket_type_id=walk.id, quantity=3),
    )

    summary = await carts.get_cart_summary(db, user_id=None, anon_token="anon-1")

    assert [(line.title, line.quantity) for line in summary.lines] == [
        ("Mug", 2),
        ("Winter market: Lantern walk", 3),
    ]
    assert summary.lines[0].line_total == Money(3600, "GBP")
    assert summary.item_count == 5
    assert summary.subtotals == (Money(5100, "GBP"),)


async def test_each_currency_gets_its_own_subtotal(db: AsyncSession) -> None:
    stall = await make_stall(db, "Import")
    pounds = await make_product(db, stall, "Pounds", 1000)
    euros = await make_product(db, stall, "Euros", 700, currency="EUR")
    cart = Cart(anon_token="anon-2")
    await add(db, cart)
    await add(
        db,
        CartLine(
            cart_id=cart.id, product_id=pounds.id, variant_id=pounds.variants[0].id, quantity=1
        ),
        CartLine(cart_id=cart.id, product_id=euros.id, variant_id=euros.variants[0].id, quantity=2),
    )

    summary = await carts.get_cart_summary(db, user_id=None, anon_token="anon-2")

    assert summary.subtotals == (Money(1000, "GBP"), Money(1400, "EUR"))


async def test_signing_in_merges_the_anonymous_cart_into_the_members(
    db: AsyncSession, sessions: async_sessionmaker[AsyncSession]
) -> None:
    stall = await make_stall(db, "Marsh Honey")
    honey = await make_product(db, stall, "Honey", 850)
    candles = await make_product(db, stall, "Candles", 1200)
    member = await make_user(db)
    mine, anonymous = Cart(user_id=member.id), Cart(anon_token="visitor")
    await add(db, mine, anonymous)
    await add(
        db,
        CartLine(cart_id=mine.id, product_id=honey.id, variant_id=honey.variants[0].id, quantity=1),
        CartLine(
            cart_id=anonymous.id, product_id=honey.id, variant_id=honey.variants[0].id, quantity=2
        ),
        CartLine(
            cart_id=anonymous.id,
            product_id=candles.id,
            variant_id=candles.variants[0].id,
            quantity=1,
        ),
    )

    moved = await carts.merge_anonymous_cart(db, user_id=member.id, anon_token="visitor")

    assert moved == 2
    async with sessions() as fresh:  # what the next request sees
        summary = await carts.get_cart_summary(fresh, user_id=member.id, anon_token=None)
        assert [(line.title, line.quantity) for line in summary.lines] == [
            ("Honey", 3),
            ("Candles", 1),
        ]
        assert (await carts.get_cart_summary(fresh, user_id=None, anon_token="visitor")).is_empty
    assert await carts.merge_anonymous_cart(db, user_id=member.id, anon_token="visitor") == 0


async def test_a_member_without_a_cart_gets_the_anonymous_one(db: AsyncSession) -> None:
    stall = await make_stall(db, "Hartley Ceramics")
    mug = await make_product(db, stall, "Mug", 1800)
    member = await make_user(db)
    anonymous = Cart(anon_token="visitor-2")
    await add(db, anonymous)
    await add(
        db,
        CartLine(
            cart_id=anonymous.id, product_id=mug.id, variant_id=mug.variants[0].id, quantity=99
        ),
    )

    assert await carts.merge_anonymous_cart(db, user_id=member.id, anon_token="visitor-2") == 1

    summary = await carts.get_cart_summary(db, user_id=member.id, anon_token=None)
    assert [(line.title, line.quantity) for line in summary.lines] == [("Mug", 99)]


async def test_a_product_is_bought_in_the_variant_chosen_at_its_price(db: AsyncSession) -> None:
    stall = await make_stall(db, "Marsh Honey")
    honey = await make_product(db, stall, "Honey", 850)
    large = ProductVariant(product_id=honey.id, name="1 kg", price_minor=1500, position=1)
    candles = await make_product(db, stall, "Candles", 1200)
    await add(db, large)
    await db.refresh(honey, ["variants"])

    summary = await carts.add_to_cart(
        db,
        user_id=None,
        anon_token="visitor-3",
        line=NewCartLine(quantity=2, product_id=honey.id, variant_id=large.id),
    )
    assert [(line.title, line.line_total) for line in summary.lines] == [
        ("Honey (1 kg)", Money(3000, "GBP"))
    ]
    summary = await carts.add_to_cart(
        db, user_id=None, anon_token="visitor-3", line=NewCartLine(quantity=1, product_id=honey.id)
    )
    assert [line.title for line in summary.lines] == ["Honey (1 kg)", "Honey (Standard)"]

    other_products_variant = NewCartLine(
        quantity=1, product_id=honey.id, variant_id=candles.variants[0].id
    )
    with pytest.raises(CartItemUnavailable, match="does not come in that variant"):
        await carts.add_to_cart(
            db, user_id=None, anon_token="visitor-3", line=other_products_variant
        )
