"""Demo orders: what a stall owner and staff see after a morning's sales.

Cleo bought a mug from Ben (delivered) and a jar of honey from Marsh Honey
(pickup): one paid order, ready for the stall owners to prepare. Ben bought two
lantern-walk tickets for the winter market: the events domain's own OrderPaid handler
issues them when the seed commits, so his dashboard shows an order and its tickets.
Food is perishable: it carries no right of withdrawal, the crafts do. The demo payment is marked as
settled outside SumUp, so staff see the refund form but SumUp (or its stand-in) has no
such transaction to refund: the refund is refused with SumUp's answer, as it would be.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.events import OrderPaid, record
from shared.models.cart import (
    FulfilmentMethod,
    Order,
    OrderFulfilment,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentStatus,
)
from shared.models.events import TicketType
from shared.models.identity import User
from shared.models.market import Product, Stall

DEMO_ORDER = "DEMO-RH7K"
DEMO_TICKET_ORDER = "DEMO-LW2T"


async def seed_cart(session: AsyncSession, users: dict[str, User]) -> None:
    await session.execute(
        update(Product)
        .where(Product.stall_id.in_(select(Stall.id).where(Stall.slug != "hartley-ceramics")))
        .values(withdrawal_allowed=False)
    )
    # The first variant of each: a mug from Ben's pottery, a jar of Marsh Honey's honey.
    products = await session.scalars(
        select(Product)
        .where(Product.slug.in_(("stoneware-mug", "wildflower-honey-340g")))
        .order_by(Product.id)
    )
    rows = [(product, product.variants[0]) for product in products if product.variants]
    if len(rows) != 2:
        return  # the market's demo products changed: no demo order then
    buyer = users["cleo"]
    paid_at = datetime.now(UTC) - timedelta(hours=3)
    order = Order(
        number=DEMO_ORDER,
        user_id=buyer.id,
        email=buyer.email,
        contact_name=buyer.display_name,
        notes="Back door, please.",
        status=OrderStatus.PAID,
        currency="GBP",
        total_minor=sum(variant.price_minor for _, variant in rows),
        access_token=secrets.token_urlsafe(32),
        paid_at=paid_at,
    )
    for product, variant in rows:
        order.lines.append(
            OrderLine(
                product_id=product.id,
                variant_id=variant.id,
                stall_id=product.stall_id,
                title=product.title,
                unit_price_minor=variant.price_minor,
                quantity=1,
                withdrawable=product.withdrawal_allowed,
            )
        )
    methods = (FulfilmentMethod.DELIVERY, FulfilmentMethod.PICKUP)
    for (product, _), method in zip(rows, methods, strict=True):
        address = "4 Orchard Row, Hebden Bridge" if method == FulfilmentMethod.DELIVERY else ""
        order.fulfilments.append(
            OrderFulfilment(stall_id=product.stall_id, method=method, address=address)
        )
    session.add(order)
    await session.flush()
    session.add(
        Payment(
            order_id=order.id,
            checkout_id=f"demo-{order.number}",
            reference=order.number,
            amount_minor=order.total_minor,
            currency="GBP",
            status=PaymentStatus.PAID,
            transaction_id=f"demo-transaction-{order.number}",
        )
    )
    await _ticket_order(session, users["ben"], paid_at)


async def _ticket_order(session: AsyncSession, buyer: User, paid_at: datetime) -> None:
    ticket_type = await session.scalar(select(TicketType).where(TicketType.name == "Lantern walk"))
    if ticket_type is None:
        return  # the events demo changed: no ticket order then
    order = Order(
        number=DEMO_TICKET_ORDER,
        user_id=buyer.id,
        email=buyer.email,
        contact_name=buyer.display_name,
        status=OrderStatus.PAID,
        currency="GBP",
        total_minor=2 * ticket_type.price_minor,
        access_token=secrets.token_urlsafe(32),
        paid_at=paid_at,
    )
    order.lines.append(
        OrderLine(
            ticket_type_id=ticket_type.id,
            title=f"{ticket_type.event.title}: {ticket_type.name}",
            unit_price_minor=ticket_type.price_minor,
            quantity=2,
        )
    )
    session.add(order)
    await session.flush()
    session.add(
        Payment(
            order_id=order.id,
            checkout_id=f"demo-{order.number}",
            reference=order.number,
            amount_minor=order.total_minor,
            currency="GBP",
            status=PaymentStatus.PAID,
            transaction_id=f"demo-transaction-{order.number}",
        )
    )
    record(session, OrderPaid(order.id))
