"""The member's own orders as account shows them: the dashboard card, the orders pages,
cancelling an unpaid order, the data export and anonymising at account deletion."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.cart import OrderNotFound, OrderStateError
from shared.contracts.events import MemberOrdersChanged, record
from shared.contracts.member import MemberOrder, MemberOrderLine
from shared.contracts.money import Money
from shared.models.cart import Cart, Order, OrderStatus, StockHold
from shared.services.cart import holds
from shared.services.cart.orders import move
from shared.services.cart.payments import lock_order

# A delivery must name an address (a CHECK): what stands in for the removed one.
REMOVED_ADDRESS = "(removed: the member deleted their account)"


def member_order(order: Order) -> MemberOrder:
    pending = order.status == OrderStatus.PENDING_PAYMENT
    return MemberOrder(
        id=order.id,
        number=order.number,
        status=order.status,
        total=Money(order.total_minor, order.currency),
        created_at=order.created_at,
        lines=tuple(
            MemberOrderLine(
                title=line.title + (f" ({line.variant_name})" if line.variant_name else ""),
                quantity=line.quantity,
                line_total=Money(line.unit_price_minor * line.quantity, order.currency),
            )
            for line in order.lines
        ),
        # The cart's order page: review, then Pay (its token opens it on any host).
        pay_url=f"/orders/{order.number}?t={order.access_token}",
        can_pay=pending,
        can_cancel=pending,
    )


class MemberOrders:
    """The part of SqlCartService that answers for one member's orders."""

    async def list_member_orders(
        self, session: AsyncSession, user_id: int, *, limit: int = 50
    ) -> list[MemberOrder]:
        orders = await session.scalars(
            select(Order).where(Order.user_id == user_id).order_by(Order.id.desc()).limit(limit)
        )
        return [member_order(order) for order in orders]

    async def get_member_order(
        self, session: AsyncSession, user_id: int, order_id: int
    ) -> MemberOrder | None:
        order = await session.scalar(
            select(Order).where(Order.id == order_id, Order.user_id == user_id)
        )
        return member_order(order) if order is not None else None

    async def cancel_member_order(
        self, session: AsyncSession, user_id: int, order_id: int
    ) -> MemberOrder:
        order = await lock_order(session, order_id)
        if order.user_id != user_id:
            raise OrderNotFound("No such order.")
        if order.status != OrderStatus.PENDING_PAYMENT:
            raise OrderStateError(f"An order that is {order.status} cannot be cancelled here.")
        move(order, OrderStatus.CANCELLED)
        order.cancelled_at = holds.now()
        # Its units go back on sale at once rather than when the hold would have lapsed.
        await session.execute(delete(StockHold).where(StockHold.order_id == order.id))
        record(session, MemberOrdersChanged(user_id=user_id))
        await session.flush()
        return member_order(order)

    async def anonymise_member_orders(self, session: AsyncSession, user_id: int) -> int:
        orders = list(
            await session.scalars(
                select(Order).where(Order.user_id == user_id).order_by(Order.id).with_for_update()
            )
        )
        for order in orders:
            if order.status == OrderStatus.PENDING_PAYMENT:
                # Nobody is left to pay it: its held units go back on sale now.
                await self.cancel_member_order(session, user_id, order.id)
            order.user_id = None
            order.email = order.contact_name = order.phone = order.notes = ""
            for fulfilment in order.fulfilments:
                if fulfilment.address:
                    fulfilment.address = REMOVED_ADDRESS
        await session.execute(delete(Cart).where(Cart.user_id == user_id))
        await session.flush()
        record(session, MemberOrdersChanged(user_id=user_id))
        return len(orders)

    async def export_member_orders(
        self, session: AsyncSession, user_id: int
    ) -> list[dict[str, Any]]:
        orders = await session.scalars(
            select(Order).where(Order.user_id == user_id).order_by(Order.id)
        )
        return [
            {
                "number": order.number,
                "status": order.status,
                "placed_at": order.created_at.isoformat(),
                "currency": order.currency,
                "total_minor": order.total_minor,
                "refunded_minor": order.refunded_minor,
                "email": order.email,
                "name": order.contact_name,
                "phone": order.phone,
                "notes": order.notes,
                "lines": [
                    {
                        "title": line.title,
                        "variant": line.variant_name,
                        "quantity": line.quantity,
                        "unit_price_minor": line.unit_price_minor,
                    }
                    for line in order.lines
                ],
                "fulfilment": [
                    {"method": f.method, "status": f.status, "address": f.address}
                    for f in order.fulfilments
                ],
            }
            for order in orders
        ]
