"""Placing an order from the cart: contact, fulfilment per stall, notes; the stock held.

The order is written in one transaction with its lines (title and price copied now),
its fulfilment per stall and a hold on every counted variant. The variants are locked
first (holds.lock_variants), so of concurrent checkouts for the last units exactly as
many succeed as there are units; the others get SoldOut and write nothing.

Placing is idempotent per checkout form: the form carries a random attempt token, and
the order's access token is derived from it, so a form sent again (a double click, or
a resubmit after the answer was lost) finds the order it placed (AlreadyPlaced) under
the unique access token instead of making a second one.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.cart import (
    CartOwner,
    CheckoutError,
    Contact,
    FulfilmentChoice,
    SoldOut,
)
from shared.contracts.errors import CartItemUnavailable
from shared.contracts.events import MemberOrdersChanged, record
from shared.models.cart import (
    FulfilmentMethod,
    Order,
    OrderFulfilment,
    OrderLine,
    OrderStatus,
    StockHold,
)
from shared.models.market import ProductStatus
from shared.services.cart import holds, tickets
from shared.services.cart.lines import variant_title
from shared.services.cart.page import cart_rows

# Letters and digits that cannot be misheard or misread (no 0/O, 1/I/L, 2/Z, 5/S, 8/B).
_READABLE = "ACDEFGHJKMNPQRTUVWXY34679"
_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MAX_NOTES = 2000
MAX_ADDRESS = 500
_ATTEMPT_RE = re.compile(r"[A-Za-z0-9_-]{43}")


class AlreadyPlaced(Exception):  # an outcome the route shows, not a failure
    """This checkout form placed `order` already: show it, place nothing."""

    def __init__(self, order: Order) -> None:
        super().__init__(order.number)
        self.order = order


def new_attempt() -> str:
    """The attempt token of one rendered checkout form."""
    return secrets.token_urlsafe(32)


def access_token_for(attempt: str | None) -> str:
    """The order's access token: derived from a well-formed attempt token (as secret as
    the token itself, seen only by the buyer's browser), else random."""
    if attempt is None or not _ATTEMPT_RE.fullmatch(attempt):
        return secrets.token_urlsafe(32)
    digest = hashlib.sha256(b"rose-ash order access token:" + attempt.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def order_number() -> str:
    """ "K7MX-4QDA": eight characters read aloud in two groups; about 10^11 of them."""
    chars = [secrets.choice(_READABLE) for _ in range(8)]
    return "".join(chars[:4]) + "-" + "".join(chars[4:])


def check_contact(contact: Contact) -> Contact:
    email = contact.email.strip()
    name = contact.name.strip()
    if not _EMAIL_RE.match(email) or len(email) > 320:
        raise CheckoutError("email", "Give an email address we can send the order to.")
    if not name or len(name) > 200:
        raise CheckoutError("name", "Give your name (up to 200 characters).")
    phone = contact.phone.strip()
    if len(phone) > 40:
        raise CheckoutError("phone", "That phone number is too long.")
    return Contact(email=email, name=name, phone=phone)


def check_choice(
    choice: FulfilmentChoice | None, stall_id: int, stall_name: str
) -> FulfilmentChoice:
    if choice is None or choice.method not in tuple(FulfilmentMethod):
        raise CheckoutError(f"method_{stall_id}", f"Choose pickup or delivery for {stall_name}.")
    address = choice.address.strip()
    if choice.method == FulfilmentMethod.DELIVERY and not address:
        raise CheckoutError(f"address_{stall_id}", f"Give the delivery address for {stall_name}.")
    if len(address) > MAX_ADDRESS:
        raise CheckoutError(f"address_{stall_id}", "That address is too long.")
    return FulfilmentChoice(stall_id, choice.method, address)


async def place_order(
    session: AsyncSession,
    *,
    owner: CartOwner,
    contact: Contact,
    choices: Mapping[int, FulfilmentChoice],
    notes: str,
    hold_minutes: int,
    attempt: str | None = None,
) -> Order:
    """A pending-payment order of everything in the owner's cart, its stock held.

    Raises CheckoutError (the form), SoldOut / CartItemUnavailable (the cart),
    AlreadyPlaced (this `attempt` placed an order before)."""
    contact = check_contact(contact)
    if len(notes) > MAX_NOTES:
        raise CheckoutError("notes", f"Keep the notes under {MAX_NOTES} characters.")
    # The cart's lines are locked: a second send of the form waits here until the first
    # has committed, and then sees its order.
    rows = await cart_rows(session, owner, lock=True)
    access_token = access_token_for(attempt)
    placed = await session.scalar(select(Order).where(Order.access_token == access_token))
    if placed is not None:
        if rows and placed.cart_id != rows[0][0].cart_id:  # not this cart's form
            raise CheckoutError("cart", "This checkout form is out of date: open it again.")
        session.expunge(placed)  # stays readable when the unit of work rolls back
        raise AlreadyPlaced(placed)
    if not rows:
        raise CheckoutError("cart", "Your cart is empty.")
    variants = await holds.lock_variants(
        session, [line.variant_id for line, *_ in rows if line.variant_id is not None]
    )
    held = await holds.held(session, variants)
    seats = await tickets.seats(
        session,
        [line.ticket_type_id for line, *_ in rows if line.ticket_type_id is not None],
        lock=True,
    )
    number = order_number()
    for _ in range(5):  # one in 10^11 is taken: look again rather than fail the checkout
        if await session.scalar(select(Order.id).where(Order.number == number)) is None:
            break
        number = order_number()
    order = Order(
        number=number,
        user_id=owner.user_id,
        email=contact.email,
        contact_name=contact.name,
        phone=contact.phone,
        notes=notes.strip(),
        status=OrderStatus.PENDING_PAYMENT,
        access_token=access_token,
        cart_id=rows[0][0].cart_id,
        currency="",
        total_minor=0,
    )
    expires_at = holds.now() + timedelta(minutes=hold_minutes)
    currencies: set[str] = set()
    fulfilments: dict[int, OrderFulfilment] = {}
    new_holds: list[StockHold] = []
    for line, product, _, ticket_type, event in rows:
        if product is not None:
            variant = variants.get(line.variant_id or 0)
            if variant is None or product.status != ProductStatus.LISTED:
                raise CartItemUnavailable(f"{product.title} is no longer on sale.")
            title = variant_title(product, variant)
            left = holds.left(variant, held)
            if left is not None and line.quantity > left:
                raise SoldOut(title)
            if product.stall_id not in fulfilments:
                choice = check_choice(
                    choices.get(product.stall_id), product.stall_id, product.stall.name
                )
                fulfilments[product.stall_id] = OrderFulfilment(
                    stall_id=product.stall_id, method=choice.method, address=choice.address
                )
            if left is not None:
                new_holds.append(
                    StockHold(variant_id=variant.id, quantity=line.quantity, expires_at=expires_at)
                )
            currencies.add(product.currency)
            order.lines.append(
                OrderLine(
                    product_id=product.id,
                    variant_id=variant.id,
                    stall_id=product.stall_id,
                    title=product.title,
                    variant_name=variant.name if len(product.variants) > 1 else "",
                    unit_price_minor=variant.price_minor,
                    quantity=line.quantity,
                    withdrawable=product.withdrawal_allowed,
                )
            )
        else:
            assert ticket_type is not None and event is not None
            on_sale = seats.get(ticket_type.id)
            if on_sale is None:
                raise CartItemUnavailable(f"{event.title} is no longer on sale.")
            on_sale.refuse_unless_on_sale()
            on_sale.refuse_unless_enough(line.quantity)
            if on_sale.left is not None:
                new_holds.append(tickets.hold(None, ticket_type.id, line.quantity, expires_at))
            # Title and price as the events service gives them, under its lock.
            currencies.add(on_sale.info.currency)
            order.lines.append(
                OrderLine(
                    ticket_type_id=ticket_type.id,
                    title=on_sale.title,
                    unit_price_minor=on_sale.info.price_minor,
                    quantity=line.quantity,
                    withdrawable=False,  # dated event tickets carry no right of withdrawal
                )
            )
    if len(currencies) != 1:
        raise CheckoutError("cart", "One order is paid in one currency: check out each apart.")
    order.currency = currencies.pop()
    order.total_minor = sum(line.total_minor for line in order.lines)
    order.fulfilments.extend(fulfilments.values())
    session.add(order)
    await session.flush()
    if order.user_id is not None:
        record(session, MemberOrdersChanged(user_id=order.user_id))
    for hold in new_holds:
        hold.order_id = order.id
    session.add_all(new_holds)
    await session.flush()
    return order
