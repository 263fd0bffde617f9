"""The cart domain's contracts beyond the summary: the cart page, checkout, orders, errors."""

from __future__ import annotations

from dataclasses import dataclass

from shared.contracts.dtos import Money
from shared.contracts.errors import CartItemUnavailable


@dataclass(frozen=True, slots=True)
class CartOwner:
    """Whose cart: a member, or an anonymous visitor's cookie token."""

    user_id: int | None
    anon_token: str | None

    @property
    def is_nobody(self) -> bool:
        return self.user_id is None and not self.anon_token


@dataclass(frozen=True, slots=True)
class CartPageLine:
    id: int
    title: str
    quantity: int
    unit_price: Money
    line_total: Money
    left: int | None  # units still to be had (None: not tracked)
    warning: str  # "" or why this line cannot be bought as it is


@dataclass(frozen=True, slots=True)
class StallGroup:
    """The lines of one stall (or of the events, `stall_id` None) and their subtotal."""

    stall_id: int | None
    name: str
    pickup: str  # where and when to collect, "" when the stall has not said
    lines: tuple[CartPageLine, ...]
    subtotal: Money


@dataclass(frozen=True, slots=True)
class CartPage:
    groups: tuple[StallGroup, ...]
    total: Money | None  # None for an empty cart

    @property
    def is_empty(self) -> bool:
        return not self.groups

    @property
    def can_check_out(self) -> bool:
        return bool(self.groups) and not any(
            line.warning for group in self.groups for line in group.lines
        )


@dataclass(frozen=True, slots=True)
class Contact:
    email: str
    name: str
    phone: str = ""


@dataclass(frozen=True, slots=True)
class FulfilmentChoice:
    stall_id: int
    method: str  # FulfilmentMethod
    address: str = ""


class CartLineNotFound(LookupError):
    """No such line in the viewer's cart (it may be someone else's)."""


class SoldOut(CartItemUnavailable):
    """Not enough left of something in the cart; `title` names it."""

    def __init__(self, title: str) -> None:
        super().__init__(f"Sold out: {title} has not enough left.")
        self.title = title


class CheckoutError(ValueError):
    """The checkout form was refused; `field` names the field to blame."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class OrderNotFound(LookupError):
    """No such order, or not one the viewer may see."""


class OrderStateError(ValueError):
    """The order is not in a state that allows this (paying a paid order, refunding too much)."""


class PaymentUnavailable(RuntimeError):
    """SumUp could not be reached; nothing was charged and the cart is as it was."""
