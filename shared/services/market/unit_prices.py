"""Unit prices (EU Directive 98/6/EC): a variant's price per kg, per litre or per item.

A variant of 500 g at £4.25 is £8.50 per kg. Rounded half up to the minor unit, as
a shelf label would be.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.market import UnitPrice
from shared.contracts.money import Money
from shared.models.cart import CartLine, OrderLine
from shared.models.market import Product, ProductVariant

# How many of a variant's measure units make the unit a price is quoted per.
_PER = {"g": (1000, "kg"), "ml": (1000, "litre"), "item": (1, "item")}
MEASURE_UNITS = tuple(_PER)


def unit_price(price: Money, quantity: int | None, unit: str | None) -> UnitPrice | None:
    """The price per kg / litre / item, or None when the variant has no measure."""
    if quantity is None or unit is None or quantity <= 0 or unit not in _PER:
        return None
    scale, per = _PER[unit]
    amount = (price.amount_minor * scale * 2 + quantity) // (quantity * 2)
    return UnitPrice(Money(amount, price.currency), per)


async def cart_line_unit_prices(
    session: AsyncSession, line_ids: Iterable[int]
) -> dict[int, UnitPrice]:
    """Each product line's unit price at its variant's price now, as the cart page shows it.

    Keyed by cart line id; a ticket line, or a variant without a measure, has none.
    """
    ids = list(line_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(
            CartLine.id,
            ProductVariant.price_minor,
            Product.currency,
            ProductVariant.measure_quantity,
            ProductVariant.measure_unit,
        )
        .join(ProductVariant, ProductVariant.id == CartLine.variant_id)
        .join(Product, Product.id == ProductVariant.product_id)
        .where(CartLine.id.in_(ids))
    )
    found = {
        line_id: unit_price(Money(price, currency), quantity, unit)
        for line_id, price, currency, quantity, unit in rows
    }
    return {line_id: per for line_id, per in found.items() if per is not None}


async def order_line_unit_prices(
    session: AsyncSession, lines: Iterable[OrderLine], currency: str
) -> dict[int, UnitPrice]:
    """Each order line's unit price at the price it was bought for (not today's price).

    Keyed by order line id; the measure is the variant's, so a deleted variant has none.
    """
    bought = [line for line in lines if line.variant_id is not None]
    if not bought:
        return {}
    measures = {
        variant_id: (quantity, unit)
        for variant_id, quantity, unit in await session.execute(
            select(
                ProductVariant.id, ProductVariant.measure_quantity, ProductVariant.measure_unit
            ).where(ProductVariant.id.in_({line.variant_id for line in bought}))
        )
    }
    found = {}
    for line in bought:
        quantity, unit = measures.get(line.variant_id, (None, None))  # type: ignore[arg-type]
        per = unit_price(Money(line.unit_price_minor, currency), quantity, unit)
        if per is not None:
            found[line.id] = per
    return found


async def variant_unit_price(
    session: AsyncSession, product_id: int, variant_id: int | None
) -> UnitPrice | None:
    """The unit price of a product's variant now (its first variant when `variant_id` is
    None, as the cart reads a line without one)."""
    query = (
        select(
            ProductVariant.price_minor,
            Product.currency,
            ProductVariant.measure_quantity,
            ProductVariant.measure_unit,
        )
        .join(Product, Product.id == ProductVariant.product_id)
        .where(ProductVariant.product_id == product_id)
        .order_by(ProductVariant.position, ProductVariant.id)
        .limit(1)
    )
    if variant_id is not None:
        query = query.where(ProductVariant.id == variant_id)
    row = (await session.execute(query)).first()
    if row is None:
        return None
    price, currency, quantity, unit = row
    return unit_price(Money(price, currency), quantity, unit)
