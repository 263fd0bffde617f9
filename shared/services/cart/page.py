"""The cart page: lines grouped by stall with subtotals and stock warnings; changing them."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.cart import (
    CartLineNotFound,
    CartOwner,
    CartPage,
    CartPageLine,
    SoldOut,
    StallGroup,
)
from shared.contracts.dtos import Money
from shared.contracts.errors import CartItemUnavailable
from shared.contracts.events import CartChanged, record
from shared.models.cart import Cart, CartLine
from shared.models.events import Event, EventStatus, TicketType
from shared.models.market import Product, ProductStatus, ProductVariant, Stall
from shared.services.cart import holds, tickets
from shared.services.cart.lines import MAX_QUANTITY, variant_title

EVENTS_GROUP = "Event tickets"


def pickup_details(stall: Stall) -> str:
    """Where and when to collect from the stall, as its owner wrote it."""
    return stall.pickup_details.strip()


def _owner_filter(owner: CartOwner):  # type: ignore[no-untyped-def]
    if owner.user_id is not None:
        return Cart.user_id == owner.user_id
    return Cart.anon_token == owner.anon_token


async def cart_rows(
    session: AsyncSession, owner: CartOwner, *, lock: bool = False
) -> list[tuple[CartLine, Product | None, ProductVariant | None, TicketType | None, Event | None]]:
    if owner.is_nobody:
        return []
    query = (
        select(CartLine, Product, ProductVariant, TicketType, Event)
        .join(Cart, Cart.id == CartLine.cart_id)
        .outerjoin(Product, Product.id == CartLine.product_id)
        .outerjoin(ProductVariant, ProductVariant.id == CartLine.variant_id)
        .outerjoin(TicketType, TicketType.id == CartLine.ticket_type_id)
        .outerjoin(Event, Event.id == TicketType.event_id)
        .where(_owner_filter(owner))
        .order_by(CartLine.id)
    )
    if lock:
        query = query.with_for_update(of=CartLine)
    return [tuple(row) for row in await session.execute(query)]  # type: ignore[misc]


async def cart_page(session: AsyncSession, owner: CartOwner) -> CartPage:
    rows = await cart_rows(session, owner)
    held = await holds.held(session, [v.id for _, _, v, _, _ in rows if v is not None])
    seats = await tickets.seats(session, [t.id for _, _, _, t, _ in rows if t is not None])
    groups: dict[int | None, list[CartPageLine]] = {}
    stalls: dict[int | None, tuple[str, str]] = {None: (EVENTS_GROUP, "")}
    for line, product, variant, ticket_type, event in rows:
        if product is not None and variant is not None:
            title = variant_title(product, variant)
            unit = Money(variant.price_minor, product.currency)
            left = holds.left(variant, held)
            warning = ""
            if product.status != ProductStatus.LISTED:
                warning = "No longer on sale: remove it to check out."
            elif left == 0:
                warning = "Sold out: remove it to check out."
            elif left is not None and line.quantity > left:
                warning = f"Only {left} left: lower the quantity to check out."
            key: int | None = product.stall_id
            stalls.setdefault(key, (product.stall.name, pickup_details(product.stall)))
        else:
            assert ticket_type is not None and event is not None
            title = f"{event.title}: {ticket_type.name}"
            unit = Money(ticket_type.price_minor, ticket_type.currency)
            on_sale = seats.get(ticket_type.id)
            left = on_sale.left if on_sale is not None else 0
            warning = ""
            if event.status != EventStatus.PUBLISHED:
                warning = "No longer on sale: remove it to check out."
            elif on_sale is None or on_sale.info.state != "on_sale":
                reason = on_sale.info.reason if on_sale is not None else "Not on sale."
                warning = f"{reason} Remove it to check out."
            elif left == 0:
                warning = "Sold out: remove it to check out."
            elif left is not None and line.quantity > left:
                warning = f"Only {left} left: lower the quantity to check out."
            key = None
        groups.setdefault(key, []).append(
            CartPageLine(
                id=line.id,
                title=title,
                quantity=line.quantity,
                unit_price=unit,
                line_total=unit.times(line.quantity),
                left=left,
                warning=warning,
            )
        )
    built = []
    for key, lines in groups.items():
        subtotal = lines[0].line_total
        for extra in lines[1:]:
            subtotal = subtotal + extra.line_total
        name, pickup = stalls[key]
        built.append(StallGroup(key, name, pickup, tuple(lines), subtotal))
    total = None
    for group in built:
        total = group.subtotal if total is None else total + group.subtotal
    return CartPage(groups=tuple(built), total=total)


async def _owned_line(session: AsyncSession, owner: CartOwner, line_id: int) -> CartLine:
    if owner.is_nobody:
        raise CartLineNotFound("That line is not in your cart.")
    line = await session.scalar(
        select(CartLine)
        .join(Cart, Cart.id == CartLine.cart_id)
        .where(CartLine.id == line_id, _owner_filter(owner))
        .with_for_update(of=CartLine)
    )
    if line is None:
        raise CartLineNotFound("That line is not in your cart.")
    return line


async def set_quantity(
    session: AsyncSession, owner: CartOwner, line_id: int, quantity: int
) -> None:
    """Change a line's quantity (1 to MAX_QUANTITY, no more than is left)."""
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValueError(f"Choose a quantity from 1 to {MAX_QUANTITY}.")
    line = await _owned_line(session, owner, line_id)
    if line.variant_id is not None:
        variant = await session.get(ProductVariant, line.variant_id)
        product = await session.get(Product, line.product_id)
        if variant is None or product is None or product.status != ProductStatus.LISTED:
            raise CartItemUnavailable("That product is no longer on sale.")
        left = holds.left(variant, await holds.held(session, [variant.id]))
        if left is not None and quantity > left:
            raise (
                SoldOut(variant_title(product, variant))
                if left == 0
                else CartItemUnavailable(f"Only {left} left of {variant_title(product, variant)}.")
            )
    else:
        await tickets.check_quantity(session, line.ticket_type_id, quantity)
    line.quantity = quantity
    record(session, CartChanged(user_id=owner.user_id, anon_token=owner.anon_token))


async def remove_line(session: AsyncSession, owner: CartOwner, line_id: int) -> None:
    line = await _owned_line(session, owner, line_id)
    await session.execute(delete(CartLine).where(CartLine.id == line.id))
    record(session, CartChanged(user_id=owner.user_id, anon_token=owner.anon_token))
