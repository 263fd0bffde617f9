"""Ticket seats in the cart: on sale in their window, held at checkout like stock.

Seats sold are the tickets the events domain has issued plus the cart's live holds of
that ticket type. The cart asks the events service (`get_ticket_seats`) what a ticket
type is and how many seats it has issued; the holds are the cart's own `stock_holds`
rows naming a ticket type. Placing an order locks the ticket type rows (through the
events service, in id order) and counts again under the lock, so of concurrent
checkouts for the last seats exactly as many get a hold as there are seats.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.calendars import TicketSeats
from shared.contracts.cart import SoldOut
from shared.contracts.dtos import CartItem, Money
from shared.contracts.errors import CartItemUnavailable
from shared.models.cart import Order, StockHold
from shared.services.cart.holds import now


def _events():  # type: ignore[no-untyped-def]
    from shared.services.registry import services  # the registry imports this package

    return services.events


async def seats_held(
    session: AsyncSession, ticket_type_ids: Iterable[int], *, except_order: int | None = None
) -> dict[int, int]:
    """Seats under an unexpired hold, per ticket type (holds of `except_order` not counted)."""
    ids = list(set(ticket_type_ids))
    if not ids:
        return {}
    query = (
        select(StockHold.ticket_type_id, func.sum(StockHold.quantity))
        .where(StockHold.ticket_type_id.in_(ids), StockHold.expires_at > now())
        .group_by(StockHold.ticket_type_id)
    )
    if except_order is not None:
        query = query.where(StockHold.order_id != except_order)
    rows = await session.execute(query)
    return {tt: int(total) for tt, total in rows if tt is not None}


@dataclass(frozen=True, slots=True)
class Seats:
    """A ticket type with what a new buyer can still have of it (`left` None: unlimited)."""

    info: TicketSeats
    left: int | None

    @property
    def title(self) -> str:
        return self.info.title

    def refuse_unless_on_sale(self) -> None:
        if self.info.state != "on_sale":
            raise CartItemUnavailable(self.info.reason or f"{self.title} is not on sale.")

    def refuse_unless_enough(self, wanted: int) -> None:
        """SoldOut when none is left; CartItemUnavailable naming how many otherwise."""
        if self.left is None or wanted <= self.left:
            return
        if self.left == 0:
            raise SoldOut(self.title)
        seats = "ticket" if self.left == 1 else "tickets"
        raise CartItemUnavailable(f"Only {self.left} {seats} left for {self.title}.")


async def seats(
    session: AsyncSession,
    ticket_type_ids: Iterable[int],
    *,
    lock: bool = False,
    except_order: int | None = None,
    at: datetime | None = None,
) -> dict[int, Seats]:
    """The ticket types named, each with the seats left after tickets issued and live holds."""
    ids = sorted(set(ticket_type_ids))
    if not ids:
        return {}
    found = await _events().get_ticket_seats(session, ids, now=at or now(), lock=lock)
    held = await seats_held(session, found, except_order=except_order)
    result = {}
    for tt_id, info in found.items():
        unissued = info.unissued
        left = None if unissued is None else max(unissued - held.get(tt_id, 0), 0)
        result[tt_id] = Seats(info, left)
    return result


async def one(session: AsyncSession, ticket_type_id: int | None) -> Seats:
    found = (await seats(session, [ticket_type_id] if ticket_type_id is not None else [])).get(
        ticket_type_id or 0
    )
    if found is None:
        raise CartItemUnavailable("Those tickets are not on sale.")
    return found


async def ticket_item(session: AsyncSession, ticket_type_id: int | None) -> CartItem:
    """The ticket type as a cart item, priced now; CartItemUnavailable (the reason) when it
    cannot be bought: before or after its sales window, its event unpublished, sold out."""
    found = await one(session, ticket_type_id)
    found.refuse_unless_on_sale()
    found.refuse_unless_enough(1)
    price = Money(found.info.price_minor, found.info.currency)
    return CartItem(title=found.title, unit_price=price, left=found.left)


async def check_quantity(session: AsyncSession, ticket_type_id: int | None, wanted: int) -> None:
    """A cart line of `wanted` seats is allowed: on sale, and that many left."""
    found = await one(session, ticket_type_id)
    found.refuse_unless_on_sale()
    found.refuse_unless_enough(wanted)


def hold(
    order_id: int | None, ticket_type_id: int, quantity: int, expires_at: datetime
) -> StockHold:
    hold = StockHold(ticket_type_id=ticket_type_id, quantity=quantity, expires_at=expires_at)
    if order_id is not None:
        hold.order_id = order_id
    return hold


async def renewable(session: AsyncSession, order: Order) -> list[tuple[int, int]]:
    """Paying re-checks the seats, before the order's holds are renewed: a hold still live
    is kept (the seats were the buyer's in the sales window); a lapsed one is taken again
    only if the tickets are still on sale with the seats left. Raises SoldOut or
    CartItemUnavailable; returns (ticket type, seats) to hold again."""
    lines = [line for line in order.lines if line.ticket_type_id is not None]
    if not lines:
        return []
    found = await seats(
        session,
        [line.ticket_type_id for line in lines if line.ticket_type_id],
        lock=True,
        except_order=order.id,
    )
    mine = dict(
        (
            await session.execute(
                select(StockHold.ticket_type_id, func.sum(StockHold.quantity))
                .where(
                    StockHold.order_id == order.id,
                    StockHold.ticket_type_id.is_not(None),
                    StockHold.expires_at > now(),
                )
                .group_by(StockHold.ticket_type_id)
            )
        ).all()
    )
    renew = []
    for line in lines:
        assert line.ticket_type_id is not None
        current = found.get(line.ticket_type_id)
        if current is None:
            raise CartItemUnavailable(f"{line.title} is no longer on sale.")
        if not current.info.published:
            # A draft or cancelled event: no hold keeps the seat of an event that is off.
            raise CartItemUnavailable(current.info.reason)
        if (mine.get(line.ticket_type_id) or 0) < line.quantity:
            current.refuse_unless_on_sale()
            if current.left is not None and current.left < line.quantity:
                raise SoldOut(current.title)
        renew.append((line.ticket_type_id, line.quantity))
    return renew
