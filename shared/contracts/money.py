"""Money: integer minor units of an ISO 4217 currency, and how an amount reads.

The formatter lives beside the type (not in the Jinja setup) so that a
service writing a price into a federated note and a template showing it on
a page say the same thing without the service importing the web layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# Symbols and minor-unit exponents for the currencies members actually use;
# anything else prints as "12.50 CHF", which is still unambiguous.
_CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}
_ZERO_DECIMAL = {"JPY", "KRW", "ISK"}


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units (pence, cents) of an ISO 4217 currency."""

    amount_minor: int
    currency: str

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def times(self, quantity: int) -> Money:
        return Money(self.amount_minor * quantity, self.currency)


def format_money(value: Money) -> str:
    """`Money(1250, "GBP")` → `£12.50`; negative amounts keep their sign in front."""
    exponent = 0 if value.currency in _ZERO_DECIMAL else 2
    amount = Decimal(value.amount_minor).scaleb(-exponent)
    text = f"{abs(amount):,.{exponent}f}"
    sign = "-" if value.amount_minor < 0 else ""
    symbol = _CURRENCY_SYMBOLS.get(value.currency)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {value.currency}"
