"""Unit prices (EU Directive 98/6/EC): a variant's price per kg, per litre or per item.

A variant of 500 g at £4.25 is £8.50 per kg. Rounded half up to the minor unit, as
a shelf label would be.
"""

from __future__ import annotations

from shared.contracts.market import UnitPrice
from shared.contracts.money import Money

# How many of a variant's measure units make the unit a price is quoted per.
_PER = {"g": (1000, "kg"), "ml": (1000, "litre"), "item": (1, "item")}
MEASURE_UNITS = tuple(_PER)


def unit_price(price: Money, quantity: int | None, unit: str | None) -> UnitPrice | None:
    """The price per kg / litre / item, or None when the variant has no measure."""
    if quantity is None or unit is None or quantity <= 0 or unit not in _PER:
        return None
    scale, per = _PER[unit]
    amount = (price.amount_minor * scale * 2 + quantity) // (quantity * 2)
    return UnitPrice(Money(amount, price.currency), per)
