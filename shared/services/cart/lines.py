"""Carts: the viewer's cart with live prices, and putting things in it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import CartItem, CartLineView, CartSummary, Money, NewCartLine
from shared.contracts.errors import CartItemUnavailable
from shared.contracts.events import CartChanged, EventContext, MemberSignedIn, record
from shared.models.cart import Cart, CartLine
from shared.models.events import Event, TicketType
from shared.models.market import Product, ProductStatus, ProductVariant
from shared.services.cart import holds, tickets
from shared.services.cart.member import MemberOrders

EMPTY_CART = CartSummary(item_count=0, lines=(), subtotals=())


def summarise(lines: list[CartLineView]) -> CartSummary:
    subtotals: dict[str, Money] = {}
    for line in lines:
        currency = line.line_total.currency
        subtotals[currency] = subtotals.get(currency, Money(0, currency)) + line.line_total
    return CartSummary(
        item_count=sum(line.quantity for line in lines),
        lines=tuple(lines),
        subtotals=tuple(subtotals.values()),
    )


class SqlCartService(MemberOrders):
    async def get_cart_summary(
        self, session: AsyncSession, *, user_id: int | None, anon_token: str | None
    ) -> CartSummary:
        if user_id is not None:
            owner = Cart.user_id == user_id
        elif anon_token:
            owner = Cart.anon_token == anon_token
        else:
            return EMPTY_CART
        # One query for every line, whatever kind of item it holds.
        rows = await session.execute(
            select(CartLine, Product, ProductVariant, TicketType, Event)
            .join(Cart, Cart.id == CartLine.cart_id)
            .outerjoin(Product, Product.id == CartLine.product_id)
            .outerjoin(ProductVariant, ProductVariant.id == CartLine.variant_id)
            .outerjoin(TicketType, TicketType.id == CartLine.ticket_type_id)
            .outerjoin(Event, Event.id == TicketType.event_id)
            .where(owner)
            .order_by(CartLine.id)
        )
        lines = []
        for line, product, variant, ticket_type, event in rows:
            if product is not None:
                title = variant_title(product, variant)
                unit = Money(variant.price_minor, product.currency)
            else:
                title = f"{event.title}: {ticket_type.name}"
                unit = Money(ticket_type.price_minor, ticket_type.currency)
            lines.append(
                CartLineView(
                    id=line.id,
                    title=title,
                    quantity=line.quantity,
                    unit_price=unit,
                    line_total=unit.times(line.quantity),
                )
            )
        return summarise(lines)

    async def add_to_cart(
        self,
        session: AsyncSession,
        *,
        user_id: int | None,
        anon_token: str | None,
        line: NewCartLine,
    ) -> CartSummary:
        if user_id is None and not anon_token:
            raise ValueError("a cart needs a member or an anonymous token")
        if not 1 <= line.quantity <= MAX_QUANTITY:
            raise ValueError(f"quantity must be 1 to {MAX_QUANTITY}")
        if (line.product_id is None) == (line.ticket_type_id is None):
            raise ValueError("a cart line holds a product or a ticket type")
        line = await _with_variant(session, line)
        cart_id = await _cart_id(session, user_id=user_id, anon_token=anon_token)
        await _check_available(session, cart_id, line)
        await session.execute(_upsert_line(cart_id, line))
        record(session, CartChanged(user_id=user_id, anon_token=anon_token))
        return await self.get_cart_summary(session, user_id=user_id, anon_token=anon_token)

    async def count_held_seats(
        self, session: AsyncSession, ticket_type_ids: Iterable[int]
    ) -> dict[int, int]:
        return await tickets.seats_held(session, ticket_type_ids)

    async def get_cart_item(self, session: AsyncSession, line: NewCartLine) -> CartItem:
        return await _on_sale(session, await _with_variant(session, line))

    async def merge_anonymous_cart(
        self, session: AsyncSession, *, user_id: int, anon_token: str
    ) -> int:
        anon_id = await session.scalar(
            select(Cart.id).where(Cart.anon_token == anon_token).with_for_update()
        )
        if anon_id is None:
            return 0
        target = await _cart_id(session, user_id=user_id, anon_token=None)
        rows = await session.execute(
            select(
                CartLine.quantity, CartLine.product_id, CartLine.ticket_type_id, CartLine.variant_id
            )
            .where(CartLine.cart_id == anon_id)
            .order_by(CartLine.id)
        )
        moved = [NewCartLine(*row) for row in rows]
        for line in moved:
            await session.execute(_upsert_line(target, line))
        await session.execute(
            update(CartLine)
            .where(CartLine.cart_id == target, CartLine.quantity > MAX_QUANTITY)
            .values(quantity=MAX_QUANTITY)
        )
        # Its lines go with it (ON DELETE CASCADE).
        await session.execute(delete(Cart).where(Cart.id == anon_id))
        record(
            session,
            CartChanged(user_id=None, anon_token=anon_token),
            CartChanged(user_id=user_id, anon_token=None),
        )
        return len(moved)


MAX_QUANTITY = 99


async def adopt_anonymous_cart(event: MemberSignedIn, ctx: EventContext) -> None:
    """Inside handler: what the visitor put in the cart before signing in becomes the member's."""
    from shared.services.registry import services  # the registry imports this package

    if event.anon_cart_token:
        await services.cart.merge_anonymous_cart(
            ctx.session, user_id=event.user_id, anon_token=event.anon_cart_token
        )


async def _cart_id(session: AsyncSession, *, user_id: int | None, anon_token: str | None) -> int:
    """The owner's cart, created if needed; concurrent first adds make one cart, not two."""
    column = Cart.user_id if user_id is not None else Cart.anon_token
    value = user_id if user_id is not None else anon_token
    await session.execute(
        insert(Cart).values({column: value}).on_conflict_do_nothing(index_elements=[column])
    )
    cart_id = await session.scalar(select(Cart.id).where(column == value))
    assert cart_id is not None  # inserted or already there
    return cart_id


def variant_title(product: Product, variant: ProductVariant) -> str:
    """ "Apple juice (1 l)": the variant is named only when there is a choice."""
    return product.title if len(product.variants) < 2 else f"{product.title} ({variant.name})"


async def _with_variant(session: AsyncSession, line: NewCartLine) -> NewCartLine:
    """The line with its variant named: the product's first when the form chose none."""
    if line.product_id is None or line.variant_id is not None:
        return line
    first = await session.scalar(
        select(ProductVariant.id)
        .where(ProductVariant.product_id == line.product_id)
        .order_by(ProductVariant.position, ProductVariant.id)
        .limit(1)
    )
    if first is None:
        raise CartItemUnavailable("That product is not on sale.")
    return replace(line, variant_id=first)


async def _on_sale(session: AsyncSession, line: NewCartLine) -> CartItem:
    """The item `line` names, priced now; CartItemUnavailable when it is not on sale."""
    if line.product_id is not None:
        product = await session.get(Product, line.product_id)
        if product is None or product.status != ProductStatus.LISTED:
            raise CartItemUnavailable("That product is not on sale.")
        variant = next((v for v in product.variants if v.id == line.variant_id), None)
        if variant is None:
            raise CartItemUnavailable("That product does not come in that variant.")
        left = holds.left(variant, await holds.held(session, [variant.id]))
        if left == 0:
            raise CartItemUnavailable("That product is sold out.")
        price = Money(variant.price_minor, product.currency)
        return CartItem(title=variant_title(product, variant), unit_price=price, left=left)
    return await tickets.ticket_item(session, line.ticket_type_id)


async def _check_available(session: AsyncSession, cart_id: int, line: NewCartLine) -> None:
    """CartItemUnavailable unless the item is on sale with enough left for the cart's total."""
    item = CartLine.variant_id == line.variant_id
    if line.ticket_type_id is not None:
        item = CartLine.ticket_type_id == line.ticket_type_id
    in_cart = await session.scalar(
        select(CartLine.quantity).where(CartLine.cart_id == cart_id, item)
    )
    wanted = (in_cart or 0) + line.quantity
    if line.ticket_type_id is not None:
        if wanted > MAX_QUANTITY:
            raise CartItemUnavailable(f"At most {MAX_QUANTITY} tickets of a kind in one cart.")
        await tickets.check_quantity(session, line.ticket_type_id, wanted)
        return
    left = (await _on_sale(session, line)).left
    if wanted > MAX_QUANTITY or (left is not None and wanted > left):
        raise CartItemUnavailable("There are not that many left.")


def _upsert_line(cart_id: int, line: NewCartLine) -> Insert:
    """Insert the line, or add to the quantity of the cart's line for the same item."""
    statement = insert(CartLine).values(
        cart_id=cart_id,
        product_id=line.product_id,
        variant_id=line.variant_id,
        ticket_type_id=line.ticket_type_id,
        quantity=line.quantity,
    )
    column = "variant_id" if line.product_id is not None else "ticket_type_id"
    return statement.on_conflict_do_update(
        index_elements=[CartLine.cart_id, getattr(CartLine, column)],
        index_where=getattr(CartLine, column).is_not(None),
        set_={"quantity": CartLine.quantity + statement.excluded.quantity},
    )
