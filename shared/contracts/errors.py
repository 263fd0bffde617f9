"""Domain exceptions the contracts promise to raise."""

from __future__ import annotations


class AccountError(ValueError):
    """Sign-up or a password change was refused; `field` names the form field to blame.

    `errors` holds every refused field (field -> message), the first being
    `field`: a form reports them all at once.
    """

    def __init__(self, field: str, message: str, *, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.errors = errors or {field: message}

    @classmethod
    def of_fields(cls, errors: dict[str, str]) -> AccountError:
        """One error for several refused fields (`errors` must not be empty)."""
        field, message = next(iter(errors.items()))
        return cls(field, message, errors=dict(errors))


class UnverifiedMember(PermissionError):
    """The member has not confirmed their email address yet, and this needs it."""


class PasskeyError(ValueError):
    """The browser's answer was not a valid passkey for this ceremony; the message says why."""


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
