"""Domain exceptions the contracts promise to raise."""

from __future__ import annotations


class AccountError(ValueError):
    """Sign-up or a password change was refused; `field` names the form field to blame."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class CartItemUnavailable(LookupError):
    """The product or ticket type cannot go in a cart: unknown, not on sale or sold out."""


class NavigationError(ValueError):
    """A menu link was refused; `field` names the form field to blame."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class FederationError(Exception):
    """A follow could not be made: unknown member, unreachable or invalid remote actor."""
